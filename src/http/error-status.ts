// The one table from error codes to HTTP statuses, and the JSON error body (SPEC §3).
import { type AssayError, type ErrorCode } from '../core/errors.js';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_error: 400,
  invalid_json: 400,
  invalid_yaml: 400,
  invalid_encoding: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  missing_credentials: 401,
  invalid_credentials: 401,
  admin_disabled: 404,
  not_found: 404,
  method_not_allowed: 405,
  experiment_not_found: 404,
  run_not_found: 404,
  cell_not_found: 404,
  dataset_not_found: 404,
  project_not_found: 404,
  api_key_not_found: 404,
  secret_not_found: 404,
  provider_not_found: 404,
  secret_unreadable: 500,
  slug_taken: 409,
  conflict: 409,
  rate_limited: 429,
  run_not_resumable: 409,
  storage_unavailable: 503,
  internal_error: 500,
  // Run outcomes (a failed run's `error`): never thrown as an HTTP error.
  all_targets_failed: 500,
  run_crashed_repeatedly: 500,
  experiment_missing: 500,
};

export interface ErrorBody {
  error: string;
  message?: string;
  issues?: { path: (string | number)[]; message: string }[];
  [key: string]: unknown;
}

export function errorBody(err: AssayError): ErrorBody {
  const body: ErrorBody = { ...err.meta, error: err.compatText ?? err.code, message: err.message };
  if (err.compatText !== undefined) body.code = err.code;
  if (err.issues !== undefined) body.issues = err.issues;
  return body;
}
