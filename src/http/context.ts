// Typing of Hono's per-request variables.
import type { Project } from '../core/model/records.js';

export interface HttpEnv {
  Variables: {
    /** The project the request's API key belongs to (set by the auth middleware). */
    project: Project;
    /** The id of the API key record that authenticated the request (never the key itself). */
    apiKeyId: string;
    /** The key's display prefix ("sk-lw-AbCd…"): who wrote a review. */
    apiKeyName: string;
    /** X-Request-Id: the client's (or its proxy's) when it sent a usable one, else a new UUID. */
    requestId: string;
  };
}
