// Client-side routing over the History API. The page has four routes and no nested layouts,
// so a matcher on `location` is all it needs (docs/decisions.md, "Run page").
import { createStore, useStore } from './store.js';

export type Route =
  | { name: 'home' }
  | { name: 'experiments'; project: string }
  | { name: 'experiment'; project: string; slug: string }
  | { name: 'run'; project: string; slug: string; runId: string }
  | { name: 'unknown' };

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'home' };
  if (parts.length === 2 && parts[1] === 'experiments') return { name: 'experiments', project: parts[0]! };
  if (parts.length === 3 && parts[1] === 'experiments') {
    const runId = new URLSearchParams(search).get('runId');
    return runId ? { name: 'run', project: parts[0]!, slug: parts[2]!, runId } : { name: 'experiment', project: parts[0]!, slug: parts[2]! };
  }
  return { name: 'unknown' };
}

export const paths = {
  experiments: (project: string) => `/${encodeURIComponent(project)}/experiments`,
  experiment: (project: string, slug: string) => `/${encodeURIComponent(project)}/experiments/${encodeURIComponent(slug)}`,
  run: (project: string, slug: string, runId: string) => `${paths.experiment(project, slug)}?runId=${encodeURIComponent(runId)}`,
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
