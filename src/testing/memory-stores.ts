// In-memory stores for millisecond unit tests of the app layer's run machinery (executor, host,
// service): the run store and response cache (memory-run-store.ts, held to the storage contract)
// and an experiment store. Datasets are not kept here: tests use inline or experiment rows.
import { SlugTakenError } from '../core/errors.js';
import { definitionOf, type ExperimentDocument, type Row } from '../core/model/experiment.js';
import type { PageRequest, Paged } from '../core/model/paging.js';
import type { DatasetRecord, ExperimentHeader, ExperimentRecord } from '../core/model/records.js';
import type { DatasetStore, ExperimentStore, NewExperiment, Stores } from '../core/ports.js';
import type { ReviewPosition } from '../core/model/reviews.js';
import type { ReviewStore, StoredReview, StoredVerdict } from '../core/review-store.js';
import { reviewKey } from '../core/model/reviews.js';
import { MemoryResponseCache, MemoryRunStore } from './memory-run-store.js';

export class MemoryExperimentStore implements ExperimentStore {
  /** Every version of every experiment, by id. */
  private readonly versions = new Map<string, ExperimentRecord[]>();

  private latest(id: string): ExperimentRecord | undefined {
    return this.versions.get(id)?.at(-1);
  }

  private live(projectId: string, slug: string): ExperimentRecord | undefined {
    for (const id of this.versions.keys()) {
      const e = this.latest(id)!;
      if (e.projectId === projectId && e.slug === slug && e.archivedAt === null) return e;
    }
    return undefined;
  }

  async create(input: NewExperiment): Promise<ExperimentRecord> {
    if (this.live(input.projectId, input.slug)) throw new SlugTakenError(input.slug);
    const record: ExperimentRecord = { id: input.id, projectId: input.projectId, slug: input.slug, name: input.name, version: 1, document: structuredClone(input.document), createdAt: input.at, updatedAt: input.at, archivedAt: null };
    this.versions.set(input.id, [record]);
    return structuredClone(record);
  }

  async slugsLike(projectId: string, base: string): Promise<string[]> {
    return [...this.versions.keys()].map((id) => this.latest(id)!).filter((e) => e.projectId === projectId && e.archivedAt === null && (e.slug === base || e.slug.startsWith(`${base}-`))).map((e) => e.slug);
  }

  async header(projectId: string, slug: string): Promise<ExperimentHeader | null> {
    const e = this.live(projectId, slug);
    if (!e) return null;
    const { document: _document, ...header } = e;
    return structuredClone(header);
  }

  async get(projectId: string, slug: string, version?: number): Promise<ExperimentRecord | null> {
    const e = this.live(projectId, slug);
    return e ? this.getById(projectId, e.id, version) : null;
  }

  async getById(projectId: string, id: string, version?: number): Promise<ExperimentRecord | null> {
    const all = this.versions.get(id);
    const e = version === undefined ? all?.at(-1) : all?.find((v) => v.version === version);
    return e && e.projectId === projectId ? structuredClone(e) : null;
  }

  async definitionById(projectId: string, id: string, version: number): Promise<ExperimentDocument | null> {
    const e = await this.getById(projectId, id, version);
    return e ? definitionOf(e.document) : null;
  }

  async replace(projectId: string, slug: string, input: { name: string; document: ExperimentDocument; at: number }): Promise<ExperimentRecord | null> {
    const e = this.live(projectId, slug);
    if (!e) return null;
    const next: ExperimentRecord = { ...e, name: input.name, version: e.version + 1, document: structuredClone(input.document), updatedAt: input.at };
    this.versions.get(e.id)!.push(next);
    return structuredClone(next);
  }

  async archive(projectId: string, slug: string, at: number): Promise<boolean> {
    const e = this.live(projectId, slug);
    if (!e) return false;
    for (const v of this.versions.get(e.id)!) v.archivedAt = at;
    return true;
  }

  async list(projectId: string, page: PageRequest): Promise<Paged<ExperimentRecord & { runsCount: number; lastRunAt: number | null }>> {
    const all = [...this.versions.keys()].map((id) => this.latest(id)!).filter((e) => e.projectId === projectId && e.archivedAt === null).sort((a, b) => b.updatedAt - a.updatedAt);
    const start = (page.page - 1) * page.pageSize;
    return { items: all.slice(start, start + page.pageSize).map((e) => ({ ...structuredClone(e), runsCount: 0, lastRunAt: null })), total: all.length };
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Key order: row index, target, repeat, evaluator (the cell's own, '', first). */
const compareReviews = (a: ReviewPosition, b: ReviewPosition) =>
  a.rowIndex - b.rowIndex || cmp(a.targetId, b.targetId) || a.repeat - b.repeat || cmp(a.evaluatorId ?? '', b.evaluatorId ?? '');

/** Reviews in a map by run and key (held to the storage contract in stores.contract.test.ts). */
export class MemoryReviewStore implements ReviewStore {
  private readonly byRun = new Map<string, Map<string, StoredReview>>();

  async upsert(review: StoredReview): Promise<void> {
    let run = this.byRun.get(review.runId);
    if (!run) this.byRun.set(review.runId, (run = new Map()));
    run.set(reviewKey(review), structuredClone(review));
  }

  /** The run's reviews in key order. */
  private sorted(runId: string): StoredReview[] {
    const all = [...(this.byRun.get(runId)?.values() ?? [])];
    return all.sort(compareReviews);
  }

  async pageOfRun(runId: string, after: ReviewPosition | null, limit: number): Promise<StoredReview[]> {
    return this.sorted(runId).filter((r) => !after || compareReviews(r, after) > 0).slice(0, limit).map((r) => structuredClone(r));
  }

  async verdictPage(runId: string, after: ReviewPosition | null, limit: number): Promise<StoredVerdict[]> {
    return (await this.pageOfRun(runId, after, limit)).map(({ rowIndex, targetId, repeat, evaluatorId, verdict, cells }) => ({ rowIndex, targetId, repeat, evaluatorId, verdict, cells }));
  }

  async ofRows(runId: string, fromRow: number, toRow: number): Promise<StoredReview[]> {
    return this.sorted(runId).filter((r) => r.rowIndex >= fromRow && r.rowIndex <= toRow).map((r) => structuredClone(r));
  }

  async stamp(runId: string): Promise<string> {
    const all = [...(this.byRun.get(runId)?.values() ?? [])];
    return `${all.length}:${all.reduce((at, r) => Math.max(at, r.reviewedAt), 0)}`;
  }
}

/** No datasets: a test that needs one uses the SQL stores. */
const noDatasets: DatasetStore = {
  create: () => Promise.reject(new Error('datasets are not kept in memory stores')),
  append: async () => null,
  slugsLike: async () => [],
  get: async (): Promise<DatasetRecord | null> => null,
  rows: async (): Promise<Row[]> => [],
  rowSizes: async (): Promise<number[]> => [],
  list: async () => ({ items: [], total: 0 }),
  versions: async () => [],
  remove: async () => false,
  deletedAt: async () => null,
};

/** The stores the run machinery uses, in memory. */
export type MemoryStores = Pick<Stores, 'runs' | 'experiments' | 'datasets' | 'responses' | 'reviews'> & { runs: MemoryRunStore };

export function memoryStores(): MemoryStores {
  return { runs: new MemoryRunStore(), experiments: new MemoryExperimentStore(), datasets: noDatasets, responses: new MemoryResponseCache(), reviews: new MemoryReviewStore() };
}
