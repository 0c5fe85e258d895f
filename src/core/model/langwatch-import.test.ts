// Importing LangWatch workbench experiments: what a user moving an experiment over would see.
import { describe, expect, it } from 'vitest';
import { turnsDuring } from '../../testing/turns.js';
import { ValidationError } from '../errors.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../turns.js';
import { experimentDocumentSchema } from './experiment.js';
import { importWorkbenchState, MAX_IMPORTED_CELLS, MAX_IMPORTED_RECORDS, workbenchStateSchema } from './langwatch-import.js';

/** The platform's own minimal integration-test state (reference §4.4). */
function minimalState(): Record<string, unknown> {
  const columns = [
    { id: 'question', name: 'question', type: 'string' },
    { id: 'expected', name: 'expected', type: 'string' },
  ];
  return {
    name: 'CI/CD Test Evaluation',
    experimentSlug: 'ci-cd-test',
    datasets: [
      {
        id: 'dataset-1',
        name: 'Test Dataset',
        type: 'inline',
        inline: { columns, records: { question: ['Say hello', 'Say world'], expected: ['hello', 'world'] } },
        columns,
      },
    ],
    activeDatasetId: 'dataset-1',
    targets: [promptTarget('target-1')],
    evaluators: [
      {
        id: 'eval-1',
        evaluatorType: 'langevals/exact_match',
        inputs: [
          { identifier: 'output', type: 'str' },
          { identifier: 'expected_output', type: 'str' },
        ],
        mappings: { 'dataset-1': { 'target-1': exactMatchMappings('target-1') } },
      },
    ],
  };
}

function promptTarget(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'prompt',
    inputs: [{ identifier: 'input', type: 'str' }],
    outputs: [{ identifier: 'output', type: 'str' }],
    mappings: { 'dataset-1': { input: { type: 'source', source: 'dataset', sourceId: 'dataset-1', sourceField: 'question' } } },
    localPromptConfig: {
      llm: { model: 'openai/gpt-4o-mini', temperature: 0, maxTokens: 50 },
      messages: [
        { role: 'system', content: 'Respond with only the exact word requested.' },
        { role: 'user', content: '{{input}}' },
      ],
      inputs: [{ identifier: 'input', type: 'str' }],
      outputs: [{ identifier: 'output', type: 'str' }],
    },
    ...extra,
  };
}

function exactMatchMappings(targetId: string, expectedColumn = 'expected'): Record<string, unknown> {
  return {
    output: { type: 'source', source: 'target', sourceId: targetId, sourceField: 'output' },
    expected_output: { type: 'source', source: 'dataset', sourceId: 'dataset-1', sourceField: expectedColumn },
  };
}

/** Runs the import and returns the ValidationError it must throw. */
async function importError(state: unknown): Promise<ValidationError> {
  try {
    await importWorkbenchState(state);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected the import to fail');
}

describe('importWorkbenchState', () => {
  it('imports the minimal LangWatch experiment into a valid document', async () => {
    const doc = experimentDocumentSchema.parse(await importWorkbenchState(minimalState()));

    expect(doc.name).toBe('CI/CD Test Evaluation');
    expect(doc.slug).toBe('ci-cd-test');
    expect(doc.dataset).toEqual({
      rows: [
        { question: 'Say hello', expected: 'hello' },
        { question: 'Say world', expected: 'world' },
      ],
    });
    expect(doc.targets).toEqual([
      {
        id: 'target-1',
        type: 'prompt',
        model: 'openai/gpt-4o-mini',
        params: { temperature: 0, maxTokens: 50 },
        messages: [
          { role: 'system', content: 'Respond with only the exact word requested.' },
          { role: 'user', content: '{{input}}' },
        ],
        variables: { input: 'row.question' },
      },
    ]);
    expect(doc.evaluators).toEqual([
      { id: 'eval-1', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
    ]);
  });

  it('keeps a valid slug, drops one that breaks our slug rules, and carries concurrency over', async () => {
    expect((await importWorkbenchState({ ...minimalState(), experimentSlug: 'Has Spaces' })).slug).toBeUndefined();
    expect((await importWorkbenchState({ ...minimalState(), experimentSlug: 'runs' })).slug).toBeUndefined();
    expect((await importWorkbenchState({ ...minimalState(), concurrency: 7 })).execution).toEqual({ concurrency: 7 });
  });

  it('keys rows by column name even when LangWatch stores them under a different column id', async () => {
    const state = minimalState();
    state.datasets = [
      {
        id: 'dataset-1',
        name: 'Renamed',
        type: 'inline',
        inline: {
          columns: [
            { id: 'col_a1', name: 'question', type: 'string' },
            { id: 'col_b2', name: 'expected', type: 'string' },
          ],
          records: { col_a1: ['Say hello', 'Say world'], col_b2: ['hello'] },
        },
        columns: [],
      },
    ];
    const doc = await importWorkbenchState(state);
    // The shorter column is padded, and no random LangWatch `id` key is added.
    expect(doc.dataset).toEqual({
      rows: [
        { question: 'Say hello', expected: 'hello' },
        { question: 'Say world', expected: '' },
      ],
    });
  });

  it('parses JSON-typed columns and keeps cells that are not valid JSON as text', async () => {
    const state = minimalState();
    state.datasets = [
      {
        id: 'dataset-1',
        name: 'Typed',
        type: 'inline',
        inline: {
          columns: [
            { id: 'q', name: 'question', type: 'string' },
            { id: 'm', name: 'messages', type: 'chat_messages' },
            { id: 'j', name: 'meta', type: 'json' },
            { id: 'n', name: 'count', type: 'number' },
          ],
          records: {
            q: ['{"looks":"like json"}', 'plain'],
            m: ['[{"role":"user","content":"hi"}]', '[{"role":'],
            j: ['{"tags":["a","b"]}', 'not json'],
            n: ['3', '4'],
          },
        },
        columns: [],
      },
    ];
    const doc = experimentDocumentSchema.parse(await importWorkbenchState(state));
    expect(doc.dataset).toEqual({
      rows: [
        { question: '{"looks":"like json"}', messages: [{ role: 'user', content: 'hi' }], meta: { tags: ['a', 'b'] }, count: '3' },
        { question: 'plain', messages: '[{"role":', meta: 'not json', count: '4' },
      ],
    });
  });

  it('refuses an inline dataset past 100,000 records or 1,000,000 cells, and keeps cells nested too deep as text', async () => {
    const withRecords = (columns: number, records: number) => {
      const state = minimalState();
      const cols = Array.from({ length: columns }, (_, i) => ({ id: `c${i}`, name: `c${i}`, type: 'string' }));
      state.datasets = [{ id: 'dataset-1', name: 'Big', type: 'inline', inline: { columns: cols, records: Object.fromEntries(cols.map((c) => [c.id, Array.from({ length: records }, () => 'x')])) }, columns: cols }];
      return state;
    };
    expect((await importError(withRecords(1, MAX_IMPORTED_RECORDS + 1))).issues).toContainEqual(expect.objectContaining({ path: ['workbenchState', 'datasets', 0, 'inline', 'records'] }));
    expect((await importError(withRecords(11, MAX_IMPORTED_CELLS / 10))).message).toContain('at most 100000 records and 1000000 cells');
    expect((await importWorkbenchState(withRecords(10, MAX_IMPORTED_CELLS / 10))).dataset).toHaveProperty('rows.length', MAX_IMPORTED_CELLS / 10);

    const deep = minimalState();
    const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    deep.datasets = [{ id: 'dataset-1', name: 'Deep', type: 'inline', inline: { columns: [{ id: 'j', name: 'meta', type: 'json' }], records: { j: [nested, '[[1]]'] } }, columns: [] }];
    expect((await importWorkbenchState(deep)).dataset).toEqual({ rows: [{ meta: nested }, { meta: [[1]] }] });
  });

  it('keeps a JSON cell of too many distinct keys or values as text', async () => {
    const state = minimalState();
    const keys = `{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":0`).join(',')}}`;
    const values = `[${Array(100_001).fill(0).join(',')}]`;
    state.datasets = [{ id: 'dataset-1', name: 'Wide', type: 'inline', inline: { columns: [{ id: 'j', name: 'meta', type: 'json' }], records: { j: [keys, values, '{"a":[1]}'] } }, columns: [] }];
    expect((await importWorkbenchState(state)).dataset).toEqual({ rows: [{ meta: keys }, { meta: values }, { meta: { a: [1] } }] });
  });

  it('refuses a record that is not a string, naming the column and the record', async () => {
    const state = minimalState();
    state.datasets = [{ id: 'dataset-1', name: 'Odd', type: 'inline', inline: { columns: [{ id: 'q', name: 'question', type: 'string' }], records: { q: ['a', 'b', 7] } }, columns: [] }];
    expect((await importError(state)).issues).toContainEqual({ path: ['workbenchState', 'datasets', 0, 'inline', 'records', 'q', 2], message: 'expected a string' });
    state.datasets = [{ id: 'dataset-1', name: 'Odd', type: 'inline', inline: { columns: [{ id: 'q', name: 'question', type: 'string' }], records: { q: 'abc' } }, columns: [] }];
    expect((await importError(state)).issues).toContainEqual(expect.objectContaining({ path: ['workbenchState', 'datasets', 0, 'inline', 'records', 'q'] }));
  });

  it('builds a large inline dataset in turns of the event loop, so other requests are served meanwhile', async () => {
    const state = minimalState();
    const columns = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, name: `c${i}`, type: 'json' }));
    state.datasets = [{ id: 'dataset-1', name: 'Big', type: 'inline', inline: { columns, records: Object.fromEntries(columns.map((c) => [c.id, Array(20_000).fill('[1]')])) }, columns }];
    setTurnBudget(0);
    try {
      let rows = 0;
      const turns = await turnsDuring(async () => {
        rows = ((await importWorkbenchState(state)).dataset as { rows: unknown[] }).rows.length;
      });
      expect(rows).toBe(20_000);
      // A turn every 100 rows.
      expect(turns).toBeGreaterThanOrEqual(200);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });

  it('points a saved dataset reference at the dataset id, and imports no datasets as an empty table', async () => {
    const saved = minimalState();
    saved.datasets = [{ id: 'dataset-1', name: 'Saved', type: 'saved', datasetId: 'ds_abc123', columns: [] }];
    const doc = experimentDocumentSchema.parse(await importWorkbenchState(saved));
    expect(doc.dataset).toEqual({ datasetId: 'ds_abc123' });
    // Mappings are still keyed by the reference id, so the variables survive.
    expect(doc.targets[0]).toMatchObject({ variables: { input: 'row.question' } });

    expect((await importWorkbenchState({ ...minimalState(), datasets: [] })).dataset).toEqual({ rows: [] });
  });

  it('rejects dataset references that lack their data', async () => {
    const inline = minimalState();
    inline.datasets = [{ id: 'dataset-1', name: 'x', type: 'inline', columns: [] }];
    expect((await importError(inline)).issues).toContainEqual(expect.objectContaining({ path: ['workbenchState', 'datasets', 0, 'inline'] }));
    const saved = minimalState();
    saved.datasets = [{ id: 'dataset-1', name: 'x', type: 'saved', columns: [] }];
    expect((await importError(saved)).issues).toContainEqual(expect.objectContaining({ path: ['workbenchState', 'datasets', 0, 'datasetId'] }));
  });

  it('keeps one evaluator when every target maps it the same way', async () => {
    const state = minimalState();
    state.targets = [promptTarget('target-1'), promptTarget('target-2')];
    state.evaluators = [
      {
        id: 'eval-1',
        evaluatorType: 'langevals/exact_match',
        inputs: [],
        mappings: { 'dataset-1': { 'target-1': exactMatchMappings('target-1'), 'target-2': exactMatchMappings('target-2') } },
      },
    ];
    const doc = experimentDocumentSchema.parse(await importWorkbenchState(state));
    expect(doc.evaluators).toEqual([
      { id: 'eval-1', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
    ]);
  });

  it('splits an evaluator per target when the targets map it differently', async () => {
    const state = minimalState();
    state.datasets = [
      {
        id: 'dataset-1',
        name: 'Two answers',
        type: 'inline',
        inline: {
          columns: [
            { id: 'question', name: 'question', type: 'string' },
            { id: 'expected', name: 'expected', type: 'string' },
            { id: 'expected_short', name: 'expected_short', type: 'string' },
          ],
          records: { question: ['q'], expected: ['a long answer'], expected_short: ['short'] },
        },
        columns: [],
      },
    ];
    const longTargetId = `target-${'x'.repeat(55)}`; // 62 chars: the split id must be cut to 64
    state.targets = [promptTarget('target-1', { name: 'GPT' }), promptTarget(longTargetId)];
    state.evaluators = [
      {
        id: 'eval-1',
        evaluatorType: 'langevals/exact_match',
        localEvaluatorConfig: { name: 'Exact', settings: { caseSensitive: false } },
        settings: { caseSensitive: true },
        inputs: [],
        mappings: {
          'dataset-1': {
            'target-1': exactMatchMappings('target-1'),
            [longTargetId]: {
              ...exactMatchMappings(longTargetId, 'expected_short'),
              // A chained target's output is ignored for this cell, as LangWatch does.
              context: { type: 'source', source: 'target', sourceId: 'target-1', sourceField: 'output' },
            },
          },
        },
      },
    ];
    const doc = experimentDocumentSchema.parse(await importWorkbenchState(state));
    expect(doc.targets[0]?.name).toBe('GPT');
    expect(doc.evaluators).toHaveLength(2);
    const [first, second] = doc.evaluators;
    expect(first).toEqual({
      id: 'eval-1.target-1',
      type: 'langevals/exact_match',
      name: 'Exact',
      settings: { caseSensitive: false },
      inputs: { output: 'output', expected_output: 'row.expected' },
      targets: ['target-1'],
    });
    expect(second?.inputs).toEqual({ output: 'output', expected_output: 'row.expected_short' });
    expect(second?.targets).toEqual([longTargetId]);
    expect(second?.id).toHaveLength(64);
    expect(second?.id.startsWith('eval-1.target-')).toBe(true);
  });

  it('copies structured output, extra params and literal values from a prompt target', async () => {
    const state = minimalState();
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    state.targets = [
      promptTarget('target-1', {
        name: 'Structured',
        mappings: {
          'dataset-1': {
            input: { type: 'source', source: 'dataset', sourceId: 'dataset-1', sourceField: 'question' },
            tone: { type: 'value', value: 'formal' },
          },
        },
        localPromptConfig: {
          llm: { model: 'anthropic/claude-3-5-haiku', max_tokens: 200, topP: 0.9, seed: 42, reasoning: 'low' },
          messages: [{ role: 'user', content: 'In a {{tone}} tone: {{input}}' }],
          inputs: [{ identifier: 'input', type: 'str' }, { identifier: 'tone', type: 'str' }, { identifier: 'unused', type: 'str' }],
          outputs: [{ identifier: 'output', type: 'json_schema', json_schema: schema }],
        },
      }),
    ];
    const target = experimentDocumentSchema.parse(await importWorkbenchState(state)).targets[0];
    expect(target).toMatchObject({
      name: 'Structured',
      model: 'anthropic/claude-3-5-haiku',
      params: { maxTokens: 200, topP: 0.9, seed: 42 },
      // An unmapped input renders empty in LangWatch, so it is bound to an empty literal.
      variables: { input: 'row.question', tone: { value: 'formal' }, unused: { value: '' } },
      outputSchema: schema,
    });
  });

  it('reports agent and LangWatch-stored prompt targets by path, together with other problems', async () => {
    const state = minimalState();
    state.targets = [
      promptTarget('target-1'),
      { id: 'agent-1', type: 'agent', dbAgentId: 'agent_xyz', mappings: {} },
      { id: 'prompt-2', type: 'prompt', promptId: 'support-bot', mappings: {} },
    ];
    state.evaluators = [{ id: 'judge', evaluatorType: 'langevals/llm_answer_match', inputs: [], mappings: {}, comparison: { variants: ['target-1', 'agent-1'] } }];
    const error = await importError(state);
    const paths = error.issues?.map((i) => i.path);
    expect(paths).toContainEqual(['workbenchState', 'targets', 1, 'type']);
    expect(paths).toContainEqual(['workbenchState', 'targets', 2, 'promptId']);
    expect(paths).toContainEqual(['workbenchState', 'evaluators', 0, 'comparison']);
    expect(error.issues).toHaveLength(3);
    const agentIssue = error.issues?.find((i) => i.path[2] === 1);
    expect(agentIssue?.message).toMatch(/http target/);
    expect(error.issues?.find((i) => i.path[2] === 2)?.message).toMatch(/support-bot.*LangWatch/);
    expect(error.message).toContain('targets.1.type');
  });

  it('reports values our engine would refuse at the LangWatch field that holds them', async () => {
    const state = minimalState();
    state.targets = [
      promptTarget('target-1', {
        localPromptConfig: {
          llm: { model: 'gpt-4o-mini', temperature: 5 },
          messages: [{ role: 'user', content: 'Key: {{ secrets.OPENAI }}' }],
        },
      }),
    ];
    const paths = (await importError(state)).issues?.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        ['workbenchState', 'targets', 0, 'localPromptConfig', 'llm', 'model'],
        ['workbenchState', 'targets', 0, 'localPromptConfig', 'llm', 'temperature'],
        ['workbenchState', 'targets', 0, 'localPromptConfig', 'messages', 0, 'content'],
      ]),
    );
  });

  it('answers garbage with a ValidationError, never another exception', async () => {
    for (const garbage of ['workbench', [], {}, null, 42, { name: 'x', datasets: 'nope', targets: [], evaluators: [] }]) {
      const error = await importError(garbage);
      expect(error.issues?.length).toBeGreaterThan(0);
      expect(error.issues?.every((i) => i.path[0] === 'workbenchState')).toBe(true);
    }
    expect((await importError({})).issues?.map((i) => i.path)).toEqual(
      expect.arrayContaining([['workbenchState', 'name'], ['workbenchState', 'targets'], ['workbenchState', 'datasets']]),
    );
  });

  it('tolerates the UI-only keys LangWatch stores next to the ones we read', async () => {
    const state = { ...minimalState(), results: { targetOutputs: {} }, hiddenColumns: ['x'], ui: { rowHeightMode: 'compact' } };
    expect(workbenchStateSchema.safeParse(state).success).toBe(true);
    expect(experimentDocumentSchema.safeParse(await importWorkbenchState(state)).success).toBe(true);
  });
});
