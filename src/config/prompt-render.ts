// GET …/runs/{runId}/request renders a prompt target's messages with the target's own function,
// and an HTTP target's request with the pieces its call renders with (app/runs/cell-request.ts);
// the templates load with the first such read, not at start-up.
import type { RequestRenderers } from '../app/runs/cell-request.js';

export function requestRenderers(): RequestRenderers {
  return {
    prompt: async (target, row, parameters) => {
      const { promptMessages, promptVariables } = await import('../targets/prompt.js');
      const messages = await promptMessages(target, promptVariables(target), row, parameters);
      return messages.map((m) => ({ role: m.role, content: m.content }));
    },
    http: async (target, row, parameters) => {
      const { httpRequestPreview } = await import('../targets/http-preview.js');
      return httpRequestPreview(target, row, parameters);
    },
  };
}
