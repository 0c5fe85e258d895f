// `assay push` of a file with problems in several places lists them all, each at its line and in
// the file's order: the schema's (a model without its provider) and the checks' (code, an
// evaluator setting), which a schema error used to hide until it was fixed. A file with very many
// is cut, saying how many more.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';
import { MAX_ISSUES_SHOWN } from './push.js';

const KEY = `sk-lw-${'PushIssues'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-push-issues-');
});
afterAll(async () => {
  await server?.stop();
});

describe('assay push of a file with several problems', { timeout: 120_000 }, () => {
  it('lists every one, each with its line', async () => {
    const file = path.join(server.dataDir, 'several.yaml');
    writeFileSync(file, [
      'name: Several', //                                   1
      'targets:', //                                        2
      '  - id: mini', //                                    3
      '    type: prompt', //                                4
      '    model: gpt-4o-mini', //                          5
      '    messages: [{ role: user, content: "{{ q }}" }]', // 6
      '  - id: upper', //                                   7
      '    type: code', //                                  8
      '    code: |', //                                     9
      '      return row.q.toUpperCase(;', //                10
      'evaluators:', //                                     11
      '  - id: exact', //                                   12
      '    type: exact_match', //                           13
      '    targets: [mini]', //                             14
      '    settings: { caseSensitive: true }', //           15
      '',
    ].join('\n'));
    const refused = await server.run(['push', file]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('error: 400 Invalid experiment: targets.0.model: must be "provider/model": did you mean "openai/gpt-4o-mini"? (and 2 more)');
    // In the file's order (the server lists the schema's issue first, then the checks').
    const bullets = refused.out.split('\n').filter((line) => line.startsWith('  - '));
    expect(bullets).toEqual([
      `  - ${file}:5: targets.0.model: must be "provider/model": did you mean "openai/gpt-4o-mini"?`,
      `  - ${file}:10: targets.1.code: code does not compile: Unexpected token ';' (line 1)`,
      expect.stringContaining(`  - ${file}:15: evaluators.0.settings.caseSensitive: exact_match has no setting "caseSensitive"`),
    ]);
    expect(refused.out).not.toContain('unknown target');
    expect(refused.out).not.toContain('… and');
  });

  it('lists the checks\' issues inside a target whose schema error it names too', async () => {
    const file = path.join(server.dataDir, 'inside.yaml');
    writeFileSync(file, [
      'name: Inside', //                                    1
      'targets:', //                                        2
      '  - id: mini', //                                    3
      '    type: prompt', //                                4
      '    model: gpt-4o-mini', //                          5
      '    messages:', //                                   6
      '      - role: user', //                              7
      '        content: "{% if q %}never closed"', //       8
      '  - id: upper', //                                   9
      '    type: code', //                                  10
      '    timeoutMs: slow', //                             11
      '    code: return row.q.toUpperCase(;', //            12
      '',
    ].join('\n'));
    const refused = await server.run(['push', file]);
    expect(refused.code).toBe(2);
    const bullets = refused.out.split('\n').filter((line) => line.startsWith('  - '));
    expect(bullets).toEqual([
      `  - ${file}:5: targets.0.model: must be "provider/model": did you mean "openai/gpt-4o-mini"?`,
      expect.stringContaining(`  - ${file}:8: targets.0.messages.0.content: template does not parse`),
      expect.stringContaining(`  - ${file}:11: targets.1.timeoutMs:`),
      `  - ${file}:12: targets.1.code: code does not compile: Unexpected token ';' (line 1)`,
    ]);
  });

  it(`lists at most ${MAX_ISSUES_SHOWN}, and says how many more there are`, async () => {
    const file = path.join(server.dataDir, 'many.json');
    const evaluators = Array.from({ length: 60 }, (_, i) => ({ id: `e${i}`, type: 'exact_match', settings: { case_sensitive: 'yes' } }));
    writeFileSync(file, JSON.stringify({ name: 'Many', targets: [{ id: 't', type: 'code' }], evaluators }));
    const refused = await server.run(['push', file]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('Invalid experiment: targets.0.code: required (expected string) (and 60 more)');
    const bullets = refused.out.split('\n').filter((line) => line.startsWith('  - '));
    expect(bullets).toHaveLength(MAX_ISSUES_SHOWN);
    expect(bullets[0]).toContain(`${file}:1: targets.0.code: required`);
    expect(bullets.at(-1)).toContain('evaluators.48.settings.case_sensitive');
    expect(refused.out).toContain('\n  … and 11 more\n');
  });
});
