// Masking: enough to recognise a key, never enough to use it.
import { describe, expect, it } from 'vitest';
import { maskValue } from './secrets.js';

describe('maskValue', () => {
  it('shows the first 3 and last 4 characters of long values, nothing of short ones', () => {
    expect(maskValue('sk-proj-a1b2c3d4e5f6g7h8i9j0abcd')).toBe('sk-…abcd');
    expect(maskValue('x'.repeat(20))).toBe('xxx…xxxx');
    expect(maskValue('x'.repeat(19))).toBe('…');
    expect(maskValue('short')).toBe('…');
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(maskValue('🔑🔑🔑' + 'a'.repeat(13) + '🗝🗝🗝🗝')).toBe('🔑🔑🔑…🗝🗝🗝🗝');
  });
});
