// The CLI's connection to a server: endpoint and key from flags or the environment
// (ASSAY_* first, then LANGWATCH_*), and a request helper that turns error bodies into
// one-line messages.
import { CliError } from './cli-error.js';

export interface Connection {
  endpoint: string;
  apiKey: string | undefined;
}

export function connectionFrom(opts: { endpoint?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const endpoint = (opts.endpoint ?? env.ASSAY_ENDPOINT ?? env.LANGWATCH_ENDPOINT ?? 'http://localhost:5560').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw new CliError(`The endpoint must start with http:// or https:// (got ${endpoint})`);
  return { endpoint, apiKey: opts.apiKey ?? env.ASSAY_API_KEY ?? env.LANGWATCH_API_KEY };
}

/** Sends a request; a non-2xx answer becomes a CliError carrying the server's message. */
export async function request(
  c: Connection,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
): Promise<Record<string, unknown> & { __status: number }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (c.apiKey) headers.authorization = `Bearer ${c.apiKey}`;
  if (body !== undefined) headers['content-type'] = contentType;
  let res: Response;
  try {
    res = await fetch(c.endpoint + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new CliError(`Cannot reach ${c.endpoint}${cause ? ` (${cause})` : ''}`);
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // keep {} for a non-JSON answer
  }
  if (!res.ok) {
    const issues = Array.isArray(json.issues)
      ? (json.issues as { path: unknown[]; message: string }[]).map((i) => `\n  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('')
      : '';
    const what = typeof json.message === 'string' ? json.message : typeof json.error === 'string' ? json.error : text.slice(0, 200);
    throw new CliError(`${res.status} ${what}${issues}`);
  }
  return { ...json, __status: res.status };
}
