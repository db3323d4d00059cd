// Runs one CLI invocation and reports its peak RSS, for the benchmark (bench/run.mjs).
import { runCli } from '../dist/cli/main.js';
import { captureIO } from '../dist/cli/io.js';

const io = captureIO(process.cwd());
const started = process.hrtime.bigint();
const rc = await runCli(process.argv.slice(2), io);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`${JSON.stringify({ rc, ms, maxRssKiB: process.resourceUsage().maxRSS, out: io.stdout.trim(), err: io.stderr.trim() })}\n`);
