// Client-side routing over the History API. The page has a handful of routes and no nested
// layouts, so a matcher on `location` is all it needs (docs/decisions.md, "Run page").
import { createStore, useStore } from './store.js';

export type Route =
  | { name: 'home' }
  | { name: 'experiments'; project: string }
  | { name: 'experiment'; project: string; slug: string }
  | { name: 'run'; project: string; slug: string; runId: string }
  | { name: 'datasets'; project: string }
  /** `version`: null for the latest; `offset`: the first row shown (both in the address, so a page of rows can be linked to). */
  | { name: 'dataset'; project: string; slug: string; version: number | null; offset: number }
  | { name: 'unknown' };

/** A non-negative integer from the address; anything else reads as `fallback`. */
function whole(value: string | null, fallback: number | null): number | null {
  return value !== null && /^\d{1,15}$/.test(value) ? Number(value) : fallback;
}

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'home' };
  if (parts.length === 2 && parts[1] === 'experiments') return { name: 'experiments', project: parts[0]! };
  if (parts.length === 3 && parts[1] === 'experiments') {
    const runId = new URLSearchParams(search).get('runId');
    return runId ? { name: 'run', project: parts[0]!, slug: parts[2]!, runId } : { name: 'experiment', project: parts[0]!, slug: parts[2]! };
  }
  if (parts.length === 2 && parts[1] === 'datasets') return { name: 'datasets', project: parts[0]! };
  if (parts.length === 3 && parts[1] === 'datasets') {
    const q = new URLSearchParams(search);
    const version = whole(q.get('version'), null);
    return { name: 'dataset', project: parts[0]!, slug: parts[2]!, version: version === 0 ? null : version, offset: whole(q.get('offset'), 0)! };
  }
  return { name: 'unknown' };
}

export const paths = {
  experiments: (project: string) => `/${encodeURIComponent(project)}/experiments`,
  experiment: (project: string, slug: string) => `/${encodeURIComponent(project)}/experiments/${encodeURIComponent(slug)}`,
  run: (project: string, slug: string, runId: string) => `${paths.experiment(project, slug)}?runId=${encodeURIComponent(runId)}`,
  datasets: (project: string) => `/${encodeURIComponent(project)}/datasets`,
  /** A dataset's page: the latest version when `version` is null, from its first row unless `offset` says. */
  dataset: (project: string, slug: string, view: { version?: number | null; offset?: number } = {}) => {
    const q = new URLSearchParams();
    if (view.version !== undefined && view.version !== null) q.set('version', String(view.version));
    if (view.offset) q.set('offset', String(view.offset));
    const search = q.toString();
    return `${paths.datasets(project)}/${encodeURIComponent(slug)}${search ? `?${search}` : ''}`;
  },
};

const current = () => ({ path: location.pathname + location.search, route: parseRoute(location.pathname, location.search) });
const routeStore = createStore(current());
addEventListener('popstate', () => routeStore.set(current()));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  routeStore.set(current());
  scrollTo(0, 0);
}

export function useRoute(): Route {
  return useStore(routeStore, (s) => s.route);
}

/** Same-origin links navigate in place; modified clicks (new tab…) are left to the browser. */
export function onLinkClick(event: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean; preventDefault(): void }, to: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
}
