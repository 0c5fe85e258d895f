// Persisted records as the app layer sees them (storage maps rows to these).
import type { ExperimentDocument, Row } from './experiment.js';

/** A tenant: everything else belongs to exactly one project. */
export interface Project {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
}

/** An API key's stored form: only the SHA-256 of the key is kept. */
export interface ApiKeyRecord {
  id: string;
  projectId: string;
  /** First characters of the key, for display ("sk-lw-AbCd…"). */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A saved experiment at its current (or a requested) version. */
export interface ExperimentRecord extends ExperimentHeader {
  document: ExperimentDocument;
}

/** An experiment without its document (lists: a document may hold 10 MB of inline rows). */
export interface ExperimentHeader {
  id: string;
  projectId: string;
  slug: string;
  name: string;
  version: number;
  createdAt: number;
  updatedAt: number;
  archivedAt: number | null;
}

/** A dataset's header: rows are read separately, paged. */
export interface DatasetRecord {
  id: string;
  projectId: string;
  slug: string;
  name: string;
  version: number;
  rowCount: number;
  /** Column names in first-seen order. */
  columns: string[];
  createdAt: number;
  updatedAt: number;
}

/** One page of dataset rows. */
export interface RowPage {
  offset: number;
  limit: number;
  rows: Row[];
}
