// Label values an experiment author chooses (model names) stay few and well-formed.
import { describe, expect, it } from 'vitest';
import { BoundedLabel, OTHER } from './labels.js';
import { MAX_MODEL_LABELS, ModelLabels } from './model-observer.js';

describe('BoundedLabel', () => {
  it('keeps the first values it sees and reports every later one as other', () => {
    const label = new BoundedLabel(2);
    expect(label.value('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(label.value('claude-3-5-haiku-latest')).toBe('claude-3-5-haiku-latest');
    expect(label.value('gemini-2.0-flash')).toBe(OTHER);
    // A value admitted once stays itself.
    expect(label.value('gpt-4o-mini')).toBe('gpt-4o-mini');
  });

  it('refuses values that do not look like a model name, without spending a place on them', () => {
    const label = new BoundedLabel(1);
    for (const bad of ['', 'has space', 'quote"inside', 'line\nbreak', 'x'.repeat(81), '{{secrets.KEY}}', '-leading-dash']) expect(label.value(bad)).toBe(OTHER);
    expect(label.value('llama3.1:8b')).toBe('llama3.1:8b');
  });
});

describe('ModelLabels', () => {
  it('caps the distinct model names of a process', () => {
    const labels = new ModelLabels();
    const seen = new Set<string>();
    for (let i = 0; i < MAX_MODEL_LABELS * 3; i++) seen.add(labels.of('openai', `model-${i}`).model);
    expect(seen.size).toBe(MAX_MODEL_LABELS + 1);
    expect(seen.has(OTHER)).toBe(true);
  });
});
