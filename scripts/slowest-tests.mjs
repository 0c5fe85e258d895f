// Prints the slowest test files of a Vitest JSON report (CI's test-results/*.json), so a CI log
// says where its test stage went: `node scripts/slowest-tests.mjs FILE [COUNT]`. A missing or
// unreadable report prints a line and exits 0: this is a summary, never a reason to fail CI.
import { readFileSync } from 'node:fs';

const [file, count = '15'] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log(`no test durations: ${file} could not be read (${error.message})`);
  process.exit(0);
}
const files = report.testResults
  .map((f) => ({ name: f.name.replace(`${process.cwd()}/`, ''), seconds: (f.endTime - f.startTime) / 1000, tests: f.assertionResults.length }))
  .sort((a, b) => b.seconds - a.seconds);
const end = Math.max(...report.testResults.map((f) => f.endTime));
const sum = files.reduce((total, f) => total + f.seconds, 0);
console.log(`${files.length} test files: ${((end - report.startTime) / 1000).toFixed(0)} s of wall time, ${sum.toFixed(0)} s summed over the files' own durations; the slowest:`);
for (const f of files.slice(0, Number(count))) console.log(`${f.seconds.toFixed(1).padStart(8)} s  ${String(f.tests).padStart(4)} tests  ${f.name}`);
