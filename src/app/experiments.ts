// Saved experiments: create, read, replace (a new version per save), archive, list, and the
// import of LangWatch workbench states.
import { experimentNotFound, type Issue, SlugTakenError, ValidationError } from '../core/errors.js';
import { type ExperimentDocument, experimentDocumentSchema } from '../core/model/experiment.js';
import { type ImportCatalogue, importWorkbenchState } from '../core/model/langwatch-import.js';
import type { ExperimentHeader, ExperimentRecord, Project } from '../core/model/records.js';
import { nextFreeSlug, slugify, slugSchema } from '../core/model/slug.js';
import type { Clock, PageRequest, Paged, Stores } from '../core/ports.js';
import { yieldIfBusy } from '../core/turns.js';
import { isDeepStrictEqual } from 'node:util';
import { newId } from './ids.js';
import { columnIssues, runColumns, type TemplateReads } from './runs/column-check.js';
import { partialDocument } from './partial-document.js';
import { describeIssues, zodIssues } from './validation.js';

/** Extra save-time checks that need more than the schema (catalogue, datasets, templates). */
export type DocumentCheck = (doc: ExperimentDocument, project: Project) => Promise<Issue[]> | Issue[];

/** What a save answers: the record, and what a run of the document's own rows would be refused for (the save stands). */
export interface Saved {
  record: ExperimentRecord;
  /** Names the targets' templates or the evaluators' mappings read that the inline rows lack. */
  warnings: Issue[];
}

export class ExperimentService {
  private readonly checks: DocumentCheck[];

  constructor(
    private readonly stores: Pick<Stores, 'experiments' | 'datasets' | 'runs'>,
    private readonly clock: Clock,
    checks: DocumentCheck[] = [],
    /** Which inputs and settings each evaluator has: imports drop LangWatch's others. */
    private readonly catalogue?: ImportCatalogue,
    /** The names a target's templates read (src/targets/template-reads.ts, injected), for the save's warnings. */
    private readonly templateReads?: TemplateReads,
  ) {
    this.checks = [this.datasetExists, ...checks];
  }

  /** Validates a body: our document, or `{workbenchState}` in LangWatch's saved format. */
  async parseDocument(body: unknown, project: Project): Promise<ExperimentDocument> {
    let input = body;
    if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'workbenchState' in body) {
      const { workbenchState, ...rest } = body as { workbenchState: unknown; slug?: unknown; name?: unknown };
      // Beside the state only slug and name: anything else (execution, thresholds…) was dropped.
      const extra = Object.keys(rest).filter((k) => k !== 'slug' && k !== 'name');
      if (extra.length > 0) {
        const key = extra[0]!.slice(0, 60);
        throw new ValidationError(`Unknown key "${key}" beside workbenchState: an import takes only slug and name with it; set the rest in the experiment after importing it`, [{ path: [key], message: 'unknown key' }]);
      }
      input = { ...(await importWorkbenchState(workbenchState, this.catalogue)), ...pick(rest, ['slug', 'name']) };
    }
    await yieldIfBusy();
    const parsed = experimentDocumentSchema.safeParse(input);
    if (!parsed.success) throw await this.allIssues(input, zodIssues(parsed.error, [], experimentDocumentSchema), project);
    const issues = await this.checkIssues(parsed.data, project);
    await yieldIfBusy();
    if (issues.length > 0) throw new ValidationError(describeIssues('experiment', issues), issues);
    return parsed.data;
  }

  private async checkIssues(doc: ExperimentDocument, project: Project): Promise<Issue[]> {
    const issues: Issue[] = [];
    for (const check of this.checks) {
      // A large document's checks (rows, templates, code) each take a turn of their own.
      await yieldIfBusy();
      issues.push(...(await check(doc, project)));
    }
    return issues;
  }

  /**
   * A document that failed its schema: the schema's issues, then those of the checks over the
   * parts valid on their own (partial-document.ts), so one save names every problem of the file.
   * What only follows from a failed part is left out, as is an issue said twice.
   */
  private async allIssues(input: unknown, schemaIssues: Issue[], project: Project): Promise<ValidationError> {
    // The parts are parsed again, one by one: a turn of their own.
    await yieldIfBusy();
    const partial = partialDocument(input, schemaIssues);
    const issues = [...schemaIssues];
    if (partial) {
      const checked = (await this.checkIssues(partial.doc, project)).filter((issue) => !partial.follows(issue.path));
      const seen = new Set(issues.map(issueKey));
      for (const issue of [...partial.ruleIssues, ...checked]) {
        const key = issueKey(issue);
        if (!seen.has(key)) issues.push(issue);
        seen.add(key);
      }
    }
    await yieldIfBusy();
    return new ValidationError(describeIssues('experiment', issues), issues);
  }

  private datasetExists: DocumentCheck = async (doc, project) => {
    if (!('datasetId' in doc.dataset)) return [];
    const found = await this.stores.datasets.get(project.id, doc.dataset.datasetId, doc.dataset.version);
    return found ? [] : [{ path: ['dataset', 'datasetId'], message: `dataset "${doc.dataset.datasetId}"${doc.dataset.version ? ` version ${doc.dataset.version}` : ''} not found` }];
  };

  /**
   * The names the document's targets and evaluators read that its inline rows lack: the check a
   * run start makes (runs/column-check.ts), as warnings. A run may pass its own `data` or
   * `parameters`, so the save is not refused; a run over these rows would be. Without inline rows
   * (none, or a saved dataset) there is nothing to check yet.
   */
  private async rowWarnings(doc: ExperimentDocument): Promise<Issue[]> {
    if (!('rows' in doc.dataset) || doc.dataset.rows.length === 0) return [];
    await yieldIfBusy();
    const columns = runColumns({ rows: doc.dataset.rows }, {});
    const targets = doc.targets.map((target, index) => ({ target, index })).filter(({ target }) => target.type !== 'code');
    return columnIssues(doc.evaluators.map((evaluator, index) => ({ evaluator, index })), targets, columns, this.templateReads).map((issue) => ({
      path: issue.path,
      message: `${issue.message}. A run of the inline rows would be refused at its start (one passing data or parameters with that name would not)`,
    }));
  }

  /** Creates from a body. An explicit slug that is taken → 409; a derived one gets -2, -3… */
  async create(project: Project, body: unknown): Promise<Saved> {
    const doc = await this.parseDocument(body, project);
    const warnings = await this.rowWarnings(doc);
    return { record: await this.insert(project, doc), warnings };
  }

  private async insert(project: Project, doc: ExperimentDocument): Promise<ExperimentRecord> {
    const at = this.clock.now();
    if (doc.slug !== undefined) {
      return this.stores.experiments.create({ id: newId('exp'), projectId: project.id, slug: doc.slug, name: doc.name, document: doc, at });
    }
    const base = slugify(doc.name);
    // Two creates can derive the same slug at once; the loser simply takes the next one.
    for (let attempt = 0; ; attempt++) {
      const slug = nextFreeSlug(base, await this.stores.experiments.slugsLike(project.id, base));
      try {
        return await this.stores.experiments.create({ id: newId('exp'), projectId: project.id, slug, name: doc.name, document: { ...doc, slug }, at });
      } catch (error) {
        if (!(error instanceof SlugTakenError) || attempt >= 5) throw error;
      }
    }
  }

  async get(project: Project, slug: string, version?: number): Promise<ExperimentRecord> {
    const found = await this.stores.experiments.get(project.id, slug, version);
    if (!found) throw experimentNotFound(slug);
    return found;
  }

  /**
   * Replaces the document as a new version, or creates the experiment under this slug when
   * there is none (so `assay push` is one idempotent PUT).
   */
  async put(project: Project, slug: string, body: unknown): Promise<Saved & { created: boolean; unchanged: boolean }> {
    const doc = await this.parseWithSlug(body, slug, project);
    if (doc.slug !== undefined && doc.slug !== slug) {
      throw new ValidationError(`The document's slug "${doc.slug}" differs from the URL's "${slug}"`, [{ path: ['slug'], message: 'must match the slug in the URL' }]);
    }
    const document = { ...doc, slug };
    const warnings = await this.rowWarnings(document);
    // The same document again (`assay push` on every commit of a CI pipeline) is no new
    // version: a version is a change, and the estimate and comparisons group runs by version.
    const current = await this.stores.experiments.get(project.id, slug);
    if (current && current.name === doc.name && sameDocument(current.document, document)) return { record: current, created: false, unchanged: true, warnings };
    const at = this.clock.now();
    const replaced = await this.stores.experiments.replace(project.id, slug, { name: doc.name, document, at });
    if (replaced) return { record: replaced, created: false, unchanged: false, warnings };
    try {
      const record = await this.stores.experiments.create({ id: newId('exp'), projectId: project.id, slug, name: doc.name, document, at });
      return { record, created: true, unchanged: false, warnings };
    } catch (error) {
      // Someone created it between our replace and create: replace theirs.
      if (!(error instanceof SlugTakenError)) throw error;
      const again = await this.stores.experiments.replace(project.id, slug, { name: doc.name, document, at });
      if (!again) throw error;
      return { record: again, created: false, unchanged: false, warnings };
    }
  }

  /**
   * The document of a PUT, its URL slug checked with it: a bad slug (`assay push` takes it from
   * the document) is named with every other issue of the document, not alone and the rest only
   * on the next push.
   */
  private async parseWithSlug(body: unknown, slug: string, project: Project): Promise<ExperimentDocument> {
    const slugParsed = slugSchema.safeParse(slug);
    if (slugParsed.success) return this.parseDocument(body, project);
    const slugIssues = zodIssues(slugParsed.error, ['slug'], slugSchema);
    let issues: Issue[] = [];
    try {
      await this.parseDocument(body, project);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues = error.issues ?? [];
    }
    // The document's own slug, when it is the same bad one, is already named at this path.
    const all = issues.some((issue) => issue.path.length === 1 && issue.path[0] === 'slug') ? issues : [...slugIssues, ...issues];
    throw new ValidationError(describeIssues('experiment', all), all);
  }

  async archive(project: Project, slug: string): Promise<void> {
    if (!(await this.stores.experiments.archive(project.id, slug, this.clock.now()))) throw experimentNotFound(slug);
  }

  async list(project: Project, page: PageRequest): Promise<Paged<ExperimentHeader & { runsCount: number; lastRunAt: number | null }>> {
    const listed = await this.stores.experiments.list(project.id, page);
    const stats = await this.stores.runs.statsByExperiment(project.id, listed.items.map((e) => e.id));
    return {
      total: listed.total,
      items: listed.items.map((e) => ({ ...e, runsCount: stats.get(e.id)?.runsCount ?? 0, lastRunAt: stats.get(e.id)?.lastRunAt ?? null })),
    };
  }
}

const issueKey = (issue: Issue): string => JSON.stringify([issue.path, issue.message]);

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Whether a stored document (read back from JSON) and a parsed one say the same, key order aside. */
function sameDocument(stored: ExperimentDocument, parsed: ExperimentDocument): boolean {
  // Through JSON, as it was stored: fields the parse left undefined drop out on both sides.
  return isDeepStrictEqual(stored, JSON.parse(JSON.stringify(parsed)));
}
