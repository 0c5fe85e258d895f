// The save-time checks of an experiment document, given to ExperimentService by the composition
// root: they need the evaluator catalogue and the template compiler, which app/ must not import,
// so they are written here, where every concrete module may be named.
import type { DocumentCheck } from '../app/experiments.js';
import { checkRowArray, type RowLimits } from '../app/row-sources.js';
import { type Issue, isAssayError } from '../core/errors.js';
import { findEvaluator, validateEvaluatorSettings } from '../evaluators/catalogue.js';
import { compileCheck } from '../targets/templates.js';

/** Save-time checks: evaluator types and settings exist and are valid. */
const evaluatorCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  doc.evaluators.forEach((e, i) => {
    if (findEvaluator(e.type)?.scope === 'row' && (e.targets?.length ?? doc.targets.length) < 2) {
      issues.push({ path: ['evaluators', i, 'targets'], message: 'a comparison needs at least two targets to compare' });
    }
    const v = validateEvaluatorSettings(e.type, e.settings);
    if (v.ok) return;
    for (const issue of v.issues) {
      issues.push(issue.path.length === 0 && !findEvaluator(e.type)
        ? { path: ['evaluators', i, 'type'], message: issue.message }
        : { path: ['evaluators', i, 'settings', ...issue.path], message: issue.message });
    }
  });
  return issues;
};

/** Save-time checks: every Liquid template parses. */
const templateCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  const check = (template: unknown, path: (string | number)[]) => {
    if (typeof template === 'string') {
      const problem = compileCheck(template);
      if (problem) issues.push({ path, message: `template does not parse: ${problem}` });
    } else if (Array.isArray(template)) template.forEach((v, i) => check(v, [...path, i]));
    else if (typeof template === 'object' && template !== null) for (const [k, v] of Object.entries(template)) check(v, [...path, k]);
  };
  doc.targets.forEach((t, i) => {
    if (t.type === 'prompt') t.messages.forEach((m, j) => check(m.content, ['targets', i, 'messages', j, 'content']));
    if (t.type === 'http') {
      check(t.url, ['targets', i, 'url']);
      check(t.headers, ['targets', i, 'headers']);
      check(t.auth, ['targets', i, 'auth']);
      check(t.body, ['targets', i, 'body']);
    }
  });
  return issues;
};

/** Save-time checks: an experiment's inline rows obey ASSAY_MAX_ROWS and ASSAY_MAX_ROW_BYTES (400 naming the row). */
const rowLimitCheck = (limits: RowLimits): DocumentCheck => (doc) => {
  if (!('rows' in doc.dataset)) return [];
  try {
    checkRowArray(doc.dataset.rows, limits, 'dataset.rows');
    return [];
  } catch (error) {
    if (!isAssayError(error)) throw error;
    const index = error.meta.rowIndex;
    return [{ path: ['dataset', 'rows', ...(typeof index === 'number' ? [index] : [])], message: error.message }];
  }
};

/** A URL scheme written out at the start of a URL template (`file:`, `https:`), or null. */
const LITERAL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Save-time checks: an HTTP target's URL, as far as it is written out. A URL without templates
 * must parse as http(s); one with templates must not start with another scheme. Before, `not a
 * url` and `file:///etc/passwd` were saved and failed every cell of every run.
 */
const urlCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type !== 'http') return;
    const path = ['targets', i, 'url'];
    const templated = t.url.includes('{{') || t.url.includes('{%');
    const scheme = LITERAL_SCHEME.exec(t.url)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
      issues.push({ path, message: `unsupported URL scheme ${scheme}: (http and https only)` });
    } else if (!templated && !URL.canParse(t.url)) {
      issues.push({ path, message: 'is not a valid URL (an absolute http or https URL, or a Liquid template that renders one)' });
    }
  });
  return issues;
};

/** Every save-time check of an experiment document, in the order their issues are reported. */
export function documentChecks(rowLimits: RowLimits): DocumentCheck[] {
  return [evaluatorCheck, templateCheck, urlCheck, rowLimitCheck(rowLimits)];
}
