// Evaluator labels in the CLI's table columns: a long name is cut, the "(id)" that tells two
// evaluators of one name apart stays whole (two `llm_boolean` judges both printed as
// "LLM-as-a-Judge Boolea…" could not be told apart).
import { describe, expect, it } from 'vitest';
import { columnKeepingTail, evaluatorColumn, evaluatorLabels } from './labels.js';

describe('evaluator columns', () => {
  const evaluators = [
    { evaluatorId: 'tone_judge', name: 'LLM-as-a-Judge Boolean' },
    { evaluatorId: 'facts_judge', name: 'LLM-as-a-Judge Boolean' },
    { evaluatorId: 'exact', name: 'Exact Match' },
  ];
  const labels = evaluatorLabels(evaluators);

  it('cuts the shared name and keeps each id whole', () => {
    expect(evaluatorColumn(labels, evaluators[0]!, 22)).toBe('LLM-as-a… (tone_judge)');
    expect(evaluatorColumn(labels, evaluators[1]!, 22)).toBe('LLM-as-… (facts_judge)');
    expect(evaluatorColumn(labels, evaluators[2]!, 22)).toBe('Exact Match'.padEnd(22));
    expect(evaluatorColumn(labels, evaluators[0]!, 28, ' × mini')).toBe('LLM-as-… (tone_judge) × mini');
  });

  it('leaves a text that fits alone, and cuts the whole when the tail leaves no room', () => {
    expect(columnKeepingTail('Exact', ' (x)', 12)).toBe('Exact (x)   ');
    expect(columnKeepingTail('Some name', ' (an-id-that-is-very-long)', 22)).toBe('Some name (an-id-that…');
  });
});
