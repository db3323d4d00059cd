/** `npm run --silent conformance -- FILE.json [...]`: runs vector files, prints "N passed, M failed". */
import '../hash/node-suite.js'; // node:crypto as the default hash suite
import { isMeasureError } from '../errors.js';
import { formatReport, runVectorFile } from './runner.js';

async function main(files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write('usage: npm run --silent conformance -- FILE.json [FILE.json ...]\n');
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const report = await runVectorFile(file);
      if (files.length > 1) process.stdout.write(`# ${file} (${report.schema})\n`);
      process.stdout.write(formatReport(report));
      failed += report.failed.length;
    } catch (e) {
      process.stderr.write(isMeasureError(e) ? `error[${e.code}]: ${e.message}\n` : `error[internal]: ${(e as Error).message}\n`);
      return 2;
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
