// The origin of an HTTP target's URL when the template cannot change it: its scheme and authority
// are literal text. Liquid copies text outside `{{ }}` and `{% %}` verbatim, so a URL whose part
// up to the first `/`, `?` or `#` after `//` holds no `{` is sent to that origin on every row;
// a run start then refuses a secret bound elsewhere (docs/decisions.md, "Secrets bound elsewhere
// refuse the start"). The scan is the one limitKeyOf (http.ts) uses for the origin's limit.
// Kept apart from http.ts so the start path does not load the network stack.

/** The scheme and authority of a URL template as written (everything up to its path), or its text before any `/?#`. */
function authorityOf(urlTemplate: string): string {
  return (/^[^/]*\/\/[^/?#]*/.exec(urlTemplate) ?? /^[^/?#]*/.exec(urlTemplate))?.[0] ?? urlTemplate;
}

/** `scheme://host[:port]` of an http(s) URL template whose origin holds no template; undefined otherwise. */
export function fixedOrigin(urlTemplate: string): string | undefined {
  if (authorityOf(urlTemplate).includes('{')) return undefined;
  let url: URL;
  try {
    url = new URL(urlTemplate);
  } catch {
    return undefined; // fails at render time with its own message
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
}
