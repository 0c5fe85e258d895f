// `{{secrets.NAME}}` values for a run: the project's stored secrets (decrypted), then, for
// projects that may use the server's credentials (ASSAY_SHARED_CREDENTIALS_PROJECTS),
// ASSAY_SECRET_<NAME> from the environment for names the project did not store. Only variables
// with that prefix are readable, so an experiment can never read the server's own configuration
// (DATABASE_URL, ASSAY_SECRET_KEY, provider keys, …).
import type { ResolvedSecrets, SecretsProvider, SharedCredentials } from '../core/ports.js';

export class ProjectSecrets implements SecretsProvider {
  /**
   * `stored`: the project's decrypted secrets (SecretService.resolveAll); `env`: Config.envSecrets
   * with their origins (Config.envSecretOrigins); `shared`: who may read the environment's.
   */
  constructor(
    private readonly stored: (projectId: string) => Promise<ResolvedSecrets>,
    private readonly env: ResolvedSecrets,
    private readonly shared: SharedCredentials,
  ) {}

  async secretsFor(projectId: string): Promise<ResolvedSecrets> {
    const own = await this.stored(projectId);
    if (!(await this.shared.allows(projectId))) return own;
    // A stored secret replaces the environment's of the same name, origins included.
    const envOrigins = Object.entries(this.env.origins).filter(([name]) => !Object.hasOwn(own.values, name));
    // fromEntries: own properties only, whatever the names.
    return {
      values: Object.fromEntries([...Object.entries(this.env.values), ...Object.entries(own.values)]),
      origins: Object.fromEntries([...envOrigins, ...Object.entries(own.origins)]),
    };
  }
}
