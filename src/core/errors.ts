// One branded base error for everything Assay decides on. Callers switch on `code` (and the
// data a subclass carries), never on the message; the HTTP layer maps codes to statuses in
// one table (src/http/error-status.ts).

/** Stable error codes. Each is part of the public API (the `error` field of an error body). */
export type ErrorCode =
  | 'validation_error'
  | 'invalid_json'
  | 'invalid_yaml'
  | 'invalid_encoding'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'missing_credentials'
  | 'invalid_credentials'
  | 'admin_disabled'
  | 'not_found'
  | 'method_not_allowed'
  | 'experiment_not_found'
  | 'run_not_found'
  | 'cell_not_found'
  | 'dataset_not_found'
  | 'project_not_found'
  | 'api_key_not_found'
  | 'secret_not_found'
  | 'provider_not_found'
  | 'secret_unreadable'
  | 'slug_taken'
  | 'conflict'
  | 'rate_limited'
  | 'run_not_resumable'
  | 'storage_unavailable'
  | 'internal_error'
  // How a run failed (its `error` field), never an HTTP answer: see core/engine/run-ending.ts.
  | 'all_targets_failed'
  | 'run_crashed_repeatedly'
  | 'experiment_missing';

/** A path into a request body plus what is wrong there. */
export interface Issue {
  path: (string | number)[];
  message: string;
}

export interface AssayErrorOptions {
  /** Extra fields spread into the JSON error body (e.g. the slug of a missing experiment). */
  meta?: Record<string, unknown>;
  /** Field-level problems for `validation_error`. */
  issues?: Issue[];
  /**
   * LangWatch clients match some errors by exact text in `error` ("Missing credentials",
   * "Invalid JSON body", …). When set, this text goes into `error` instead of the code.
   */
  compatText?: string;
  cause?: unknown;
}

const BRAND = Symbol.for('assay.error');

/** Base of every error Assay raises on purpose. */
export class AssayError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly meta: Record<string, unknown>;
  readonly issues: Issue[] | undefined;
  readonly compatText: string | undefined;

  constructor(code: ErrorCode, message: string, options: AssayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AssayError';
    this.code = code;
    this.meta = options.meta ?? {};
    this.issues = options.issues;
    this.compatText = options.compatText;
  }
}

/** True for any AssayError, even one from another copy of this module. */
export function isAssayError(value: unknown): value is AssayError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A request body or document that does not satisfy its schema. */
export class ValidationError extends AssayError {
  constructor(message: string, issues: Issue[] = [], options: Omit<AssayErrorOptions, 'issues'> = {}) {
    super('validation_error', message, { ...options, issues });
  }
}

/** Something the caller named does not exist in the caller's project. */
export class NotFoundError extends AssayError {
  constructor(
    code: Extract<ErrorCode, `${string}not_found`>,
    message: string,
    meta: Record<string, unknown> = {},
  ) {
    super(code, message, { meta });
  }
}

/** A slug that was asked for explicitly is already used by another live record. */
/** A dataset append whose rows would take the dataset past its column bound (app/row-limits.ts). */
export class TooManyColumnsError extends Error {
  constructor(readonly columns: number) {
    super(`the dataset would have ${columns} columns`);
    this.name = 'TooManyColumnsError';
  }
}

export class SlugTakenError extends AssayError {
  /** @param scope where the slug must be unique: "in this project" for experiments and datasets, "by another project" for projects */
  constructor(readonly slug: string, scope = 'in this project') {
    super('slug_taken', `The slug "${slug}" is already taken ${scope}`, { meta: { slug } });
  }
}

/**
 * A project's slug — given, or derived from its name — that an existing project holds. Carries
 * that project, so an admin API 409 and the CLI name it (a provisioning script run twice is
 * told which project it already made, rather than getting `team-b-2`).
 */
export class ProjectExistsError extends AssayError {
  constructor(readonly existing: { id: string; slug: string; name: string }) {
    super('slug_taken', `A project with the slug "${existing.slug}" already exists: ${existing.id}, named "${existing.name}". Pick another name or slug, or use that project`, {
      meta: { slug: existing.slug, projectId: existing.id, name: existing.name },
    });
  }
}

export function experimentNotFound(slug: string): NotFoundError {
  return new NotFoundError('experiment_not_found', `Experiment not found: ${slug}`, { id: slug, experimentId: slug });
}

export function runNotFound(runId: string): NotFoundError {
  return new NotFoundError('run_not_found', `Run not found: ${runId}`, { id: runId, runId });
}

export function datasetNotFound(id: string): NotFoundError {
  return new NotFoundError('dataset_not_found', `Dataset not found: ${id}`, { id });
}

export function secretNotFound(name: string): NotFoundError {
  return new NotFoundError('secret_not_found', `Secret not found: ${name}`, { name });
}

export function providerNotFound(name: string): NotFoundError {
  return new NotFoundError('provider_not_found', `No provider settings stored for: ${name}`, { name });
}

/**
 * A stored sealed value that does not open: altered in the database, copied from another row,
 * or sealed with another key (ASSAY_SECRET_KEY or the key file changed). Names the value, never
 * quotes it.
 */
export class SecretUnreadableError extends AssayError {
  constructor(readonly what: string) {
    super(
      'secret_unreadable',
      `${what} cannot be decrypted: it was stored with another ASSAY_SECRET_KEY (or key file), or it was altered. Store it again.`,
    );
  }
}

/** Exhaustiveness guard for discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
