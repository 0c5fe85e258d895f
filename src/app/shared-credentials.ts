// ASSAY_SHARED_CREDENTIALS_PROJECTS: which projects may use the server's own credentials — the
// provider keys and headers of the environment (OPENAI_API_KEY…) and ASSAY_SECRET_<NAME>
// values. The default is every project, which suits a server run by one team; a server that
// hosts several teams names the projects that may spend the operator's keys (docs/security.md).
import type { Project } from '../core/model/records.js';
import type { SharedCredentials } from '../core/ports.js';

/** `all`, or the ids and slugs of the projects allowed (an empty list allows none). */
export type SharedCredentialsSetting = 'all' | readonly string[];

export class SharedCredentialsPolicy implements SharedCredentials {
  private readonly names: ReadonlySet<string> | null;
  /** Project id → allowed. Slugs never change, so an answer is kept (bounded: one entry per project). */
  private readonly known = new Map<string, boolean>();

  constructor(
    setting: SharedCredentialsSetting,
    private readonly project: (id: string) => Promise<Project | null>,
  ) {
    this.names = setting === 'all' ? null : new Set(setting);
  }

  async allows(projectId: string): Promise<boolean> {
    if (this.names === null) return true;
    if (this.names.has(projectId)) return true;
    const known = this.known.get(projectId);
    if (known !== undefined) return known;
    const project = await this.project(projectId);
    const allowed = project !== null && this.names.has(project.slug);
    if (project !== null) this.known.set(projectId, allowed);
    return allowed;
  }
}
