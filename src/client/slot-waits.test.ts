import { describe, expect, it } from 'vitest';
import { SlotWaitsSeen, waitingText } from './slot-waits.js';

describe('SlotWaitsSeen', () => {
  it('adds up the waits of every executor (a cluster run\'s shards), and forgets one that says none wait', () => {
    const seen = new SlotWaitsSeen(() => 0);
    seen.waiting({ source: 'w1#0', waits: [{ kind: 'provider', name: 'ollama', calls: 3, limit: 2 }] });
    seen.waiting({ source: 'w2#1', waits: [{ kind: 'provider', name: 'ollama', calls: 4, limit: 2 }, { kind: 'origin', name: 'https://agent.example', calls: 1, limit: 10 }] });
    expect(seen.current()).toEqual([
      { kind: 'provider', name: 'ollama', calls: 7, limit: 2 },
      { kind: 'origin', name: 'https://agent.example', calls: 1, limit: 10 },
    ]);
    // A later word from a source replaces its earlier one.
    seen.waiting({ source: 'w1#0', waits: [{ kind: 'provider', name: 'ollama', calls: 1, limit: 2 }] });
    expect(seen.current()[0]!.calls).toBe(5);
    seen.waiting({ source: 'w2#1', waits: [] });
    expect(seen.current()).toEqual([{ kind: 'provider', name: 'ollama', calls: 1, limit: 2 }]);
    seen.clear();
    expect(seen.current()).toEqual([]);
  });

  it('counts a pause down from when it was told, and leaves it out once over', () => {
    let now = 1_000;
    const seen = new SlotWaitsSeen(() => now);
    seen.waiting({ source: 's', waits: [{ kind: 'model', name: 'openai/gpt-4o', calls: 2, limit: 3, pausedMs: 5_000 }] });
    now += 2_000;
    expect(seen.current()).toEqual([{ kind: 'model', name: 'openai/gpt-4o', calls: 2, limit: 3, pausedMs: 3_000 }]);
    now += 3_000;
    expect(seen.current()).toEqual([{ kind: 'model', name: 'openai/gpt-4o', calls: 2, limit: 3 }]);
  });
});

describe('waitingText', () => {
  it('words one holder, several, and none', () => {
    expect(waitingText([{ kind: 'provider', name: 'ollama', calls: 4, limit: 2 }])).toBe("4 calls waiting for provider ollama's cap of 2");
    expect(waitingText([{ kind: 'model', name: 'openai/gpt-4o', calls: 1, limit: 6, pausedMs: 11_200 }])).toBe('1 call waiting for model openai/gpt-4o (6 at once, paused 12 s)');
    expect(waitingText([{ kind: 'origin', name: 'https://agent.example', calls: 3, limit: 10 }])).toBe('3 calls waiting for https://agent.example (10 at once)');
    expect(waitingText([
      { kind: 'provider', name: 'ollama', calls: 4, limit: 2 },
      { kind: 'model', name: 'openai/gpt-4o', calls: 2 },
      { kind: 'origin', name: 'https://agent.example', calls: 1 },
    ])).toBe("7 calls waiting: 4 for provider ollama's cap of 2, 2 for model openai/gpt-4o, …");
    expect(waitingText([])).toBeUndefined();
  });

  it('shows a name as the caller makes it safe (a project chose it)', () => {
    expect(waitingText([{ kind: 'origin', name: 'http://a\u001b[31m', calls: 1 }], (n) => n.replaceAll('\u001b', '?'))).toBe('1 call waiting for http://a?[31m');
  });
});
