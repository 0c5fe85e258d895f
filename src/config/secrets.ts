// `{{secrets.NAME}}` values for a run: the project's stored secrets (decrypted), then
// ASSAY_SECRET_<NAME> from the environment for names the project did not store. Only variables
// with that prefix are readable, so an experiment can never read the server's own
// configuration (DATABASE_URL, ASSAY_SECRET_KEY, provider keys, …).
import type { SecretsProvider } from '../core/ports.js';

export class ProjectSecrets implements SecretsProvider {
  /** `stored`: the project's decrypted secrets (SecretService.resolveAll); `env`: Config.envSecrets. */
  constructor(
    private readonly stored: (projectId: string) => Promise<Record<string, string>>,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  async secretsFor(projectId: string): Promise<Record<string, string>> {
    // fromEntries: own properties only, whatever the names.
    return Object.fromEntries([...Object.entries(this.env), ...Object.entries(await this.stored(projectId))]);
  }
}
