// GET …/runs/{runId}/request renders a prompt target's messages with the target's own function
// (app/runs/cell-request.ts); the templates load with the first such read, not at start-up.
import type { PromptRenderer } from '../app/runs/cell-request.js';

export function promptRenderer(): PromptRenderer {
  return async (target, row, parameters) => {
    const { promptMessages, promptVariables } = await import('../targets/prompt.js');
    const messages = await promptMessages(target, promptVariables(target), row, parameters);
    return messages.map((m) => ({ role: m.role, content: m.content }));
  };
}
