// What a request with a method no route has at a path some route has is told: 405 and the
// methods that path answers (`Allow`), not 404 "No route", which reads as a wrong path.
// Hono routes each method on its own and has no such answer.

type Method = string;

/**
 * The methods the routes answer at a path, HEAD with GET (Hono answers HEAD with the GET route)
 * unless the route refuses it.
 * A path several templates match (`/api/experiments/runs` and `/api/experiments/{slug}`) gets
 * them all: Hono dispatches a method to any template that matches it.
 */
export function allowedMethods(routes: readonly { method: Method; path: string; head?: false }[]): (path: string) => string[] {
  let compiled: { method: string; pattern: RegExp; head: boolean }[] | undefined;
  return (path) => {
    // The table is complete once the app serves: compiled on the first miss.
    compiled ??= routes.map((r) => ({ method: r.method.toUpperCase(), pattern: templatePattern(r.path), head: r.head !== false }));
    const methods = new Set<string>();
    for (const { method, pattern, head } of compiled) {
      if (!pattern.test(path)) continue;
      methods.add(method);
      // A GET route refusing HEAD (RouteSpec.head: a secret shown once) does not offer it.
      if (method === 'GET' && head) methods.add('HEAD');
    }
    return [...methods];
  };
}

/** `/api/experiments/{slug}` → a pattern of the whole path, a parameter one segment. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${source}/?$`);
}
