/**
 * `npm run --silent conformance -- [--fixtures DIR] FILE.json [...]` (installed: `vmfw-measure-conformance`):
 * runs vector files, prints "N passed, M failed" per file, exits 1 on any failure. Errors print as
 * the main CLI prints them, `error[CODE]: message`, exit 2 for usage or unusable input (3 for a bug).
 */
import { processIO } from '../cli/io.js';
import { reportError } from '../cli/main.js';
import { formatReport, runVectorFile, type RunOptions } from './runner.js';

const USAGE = `usage: vmfw-measure-conformance [--fixtures DIR] FILE.json [FILE.json ...]
  FILE.json       a vector file; - reads one from standard input
  --fixtures DIR  the folder holding the files the vectors name (default: paths resolve
                  against each vector file's folder, so fixtures/... is the folder beside it;
                  for - against the working directory)
  --debug         print the stack of an error
`;

/** Splits the command line into options and vector files; a string is a usage error. */
export function parseConformanceArgs(argv: string[]): { options: RunOptions; files: string[] } | string {
  const options: RunOptions = {};
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--fixtures' || a.startsWith('--fixtures=')) {
      const value = a === '--fixtures' ? argv[++i] : a.slice('--fixtures='.length);
      if (!value) return '--fixtures needs a folder';
      options.fixtures = value;
    } else if (a === '-h' || a === '--help') {
      return '';
    } else if (a.startsWith('--')) {
      return `unknown option ${a}`;
    } else {
      files.push(a);
    }
  }
  return files.length === 0 ? 'no vector file given' : { options, files };
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const parsed = parseConformanceArgs(argv.filter((a) => a !== '--debug'));
  if (parsed === '') { process.stdout.write(USAGE); return 0; }
  if (typeof parsed === 'string') { process.stderr.write(`error[usage]: ${parsed}\n${USAGE}`); return 2; }
  let failed = 0;
  for (const file of parsed.files) {
    try {
      const report = await runVectorFile(file, parsed.options);
      if (parsed.files.length > 1) process.stdout.write(`# ${file} (${report.schema})\n`);
      process.stdout.write(formatReport(report));
      failed += report.failed.length;
    } catch (e) {
      return reportError(e, processIO, debug);
    }
  }
  return failed === 0 ? 0 : 1;
}
