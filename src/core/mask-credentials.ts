// Credentials hidden in a URL before it goes into a message or a log line: the CLI's endpoint
// and the server's DATABASE_URL both end up whole in CI logs otherwise.

/**
 * The URL with any user:password@ and any `password=` query parameter shown as `***`. Works on
 * text that is not a URL at all (no scheme, `user@host`), so a refused value can still be named.
 */
export function maskCredentials(url: string): string {
  return url.replace(/^([^/?#]*\/\/)?[^/?#]*@/, (_all, scheme: string | undefined) => `${scheme ?? ''}***@`).replace(/([?&]password=)[^&#]*/gi, '$1***');
}
