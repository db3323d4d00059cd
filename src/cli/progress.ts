/**
 * A progress bar on stderr for long work: only when stderr is a terminal, never in pipes, logs or
 * CI, nothing with --quiet, and only once the work has taken a second (short runs stay silent).
 */
import type { CliIO } from './io.js';

const DELAY_MS = 1000;
const EVERY_MS = 100;
const WIDTH = 30;

/** An onProgress callback for the engine, or undefined when no bar should be drawn. */
export function progressBar(io: CliIO, label: string): { onProgress?: (done: number, total: number) => void; done(): void } {
  if (!io.terminal) return { done() {} };
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    onProgress(done, total) {
      const now = Date.now();
      if (now - started < DELAY_MS || now - last < EVERY_MS || total === 0) return;
      last = now;
      drawn = true;
      const f = Math.min(1, done / total);
      const bar = '#'.repeat(Math.round(f * WIDTH)).padEnd(WIDTH, '-');
      io.err(`\r${label} [${bar}] ${(f * 100).toFixed(0).padStart(3)}% ${done}/${total} steps`);
    },
    done() { if (drawn) io.err('\r\x1b[2K'); },
  };
}
