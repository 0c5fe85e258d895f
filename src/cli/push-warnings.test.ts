// `assay push` of a document whose own inline rows lack a name it reads: the server saves it
// and answers `warnings`; push prints each one (`warning: FILE:LINE: PATH: MESSAGE`, its line
// found as a refusal's issues are) and still exits 0, since a run may pass rows of its own.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'PushWarnCl'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-push-warn-');
});
afterAll(async () => {
  await server?.stop();
});

describe('assay push warnings', { timeout: 120_000 }, () => {
  it("prints each warning of the save, which stands, and none once the rows have the name", async () => {
    const file = path.join(server.dataDir, 'warned.yaml');
    const write = (mapping: string) => writeFileSync(file, [
      'name: Warned',
      'dataset:',
      '  rows:',
      '    - { question: "Capital of France?", expected: Paris }',
      'targets:',
      '  - { id: echo, type: code, code: "return row.expected" }',
      'evaluators:',
      `  - { id: exact, type: langevals/exact_match, inputs: { expected_output: ${mapping} } }`,
      '',
    ].join('\n'));
    write('row.expectd');
    const pushed = await server.run(['push', file]);
    expect(pushed.out).toContain('Created experiment warned (version 1)');
    expect(pushed.out).toContain(
      `warning: ${file}:8: evaluators.0.inputs.expected_output: evaluator "exact" maps expected_output to row.expectd, but the rows have no column "expectd" (did you mean "expected"?); every cell would skip it. A run of the inline rows would be refused at its start (one passing data or parameters with that name would not)\n`,
    );
    expect(pushed.code).toBe(0);
    write('row.expected');
    const fixed = await server.run(['push', file]);
    expect(fixed.out).toContain('Updated experiment warned (version 2)');
    expect(fixed.out).not.toContain('warning:');
    expect(fixed.code).toBe(0);
  });
});
