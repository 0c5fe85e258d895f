// `{{secrets.NAME}}` values. Until per-project secrets are stored, they come from the
// environment as ASSAY_SECRET_<NAME>: only variables with that prefix are readable, so an
// experiment can never read the server's own configuration (DATABASE_URL, keys, …).
import type { SecretsProvider } from '../core/ports.js';

const PREFIX = 'ASSAY_SECRET_';

export class EnvSecrets implements SecretsProvider {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async secretsFor(_projectId: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.env)) if (k.startsWith(PREFIX) && v !== undefined && v !== '') out[k.slice(PREFIX.length)] = v;
    return out;
  }
}
