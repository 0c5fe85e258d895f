// Slug rules shared by experiments and datasets (SPEC §4).
import transliterate from 'slugify';
import { z } from 'zod';

/** Words that cannot be experiment slugs because they are path segments of the run API. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set(['runs', 'abort', 'execute']);

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,99}$/;

export const slugSchema = z
  .string()
  .regex(SLUG_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,99}$ (lowercase letters, digits and hyphens)')
  .refine((s) => !RESERVED_SLUGS.has(s), { message: 'is a reserved word (runs, abort, execute)' });

/**
 * Words that cannot be project slugs: a project's pages live at `/<project>/…` (a run's
 * `runUrl`), and these first path segments belong to the API, the docs, the probes and the
 * page's own assets (src/http/routes/web-page.ts), so a project named `api` would have had
 * every runUrl answered by the API instead of its page.
 */
export const RESERVED_PROJECT_SLUGS: ReadonlySet<string> = new Set(['api', 'docs', 'healthz', 'livez', 'metrics', 'readyz', '_app']);

export const projectSlugSchema = slugSchema.refine((s) => !RESERVED_PROJECT_SLUGS.has(s), {
  message: `is reserved for the server's own paths (${[...RESERVED_PROJECT_SLUGS].join(', ')})`,
});

/**
 * Free text a user names things with (experiment, dataset and project names, review comments)
 * is stored in plain text columns, and PostgreSQL's text type cannot hold U+0000: refused here,
 * on both databases, rather than changed on one (src/storage/pg-text.ts).
 */
// eslint-disable-next-line no-control-regex -- matching the control character is the point
export const NO_NUL: [RegExp, string] = [/^[^\u0000]*$/, 'must not contain U+0000 (NUL)'];

/**
 * Derives a slug from a display name: lowercase ASCII, runs of other characters become one
 * hyphen, trimmed to leave room for a `-N` suffix. Falls back to `fallback` when nothing is left.
 * Letters are transliterated by the slugify package's table ("Größe" → "grosse", "Łódź" →
 * "lodz", Cyrillic and Greek too): Unicode decomposition alone only strips accents, and made
 * "ß" or "ł" a hyphen. Everything that is not a letter or digit is a separator first, since
 * slugify itself would drop "/" or "." and join the words around it.
 */
export function slugify(name: string, fallback = 'experiment'): string {
  const words = name.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ');
  const base = transliterate(words, { lower: true, strict: true })
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90)
    .replace(/-+$/g, '');
  const slug = base.length > 0 ? base : fallback;
  return RESERVED_SLUGS.has(slug) ? `${slug}-1` : slug;
}

/**
 * Picks the first free slug among `base`, `base-2`, `base-3`, … given the slugs already taken
 * that start with `base`. A longer slug that merely shares the prefix is not a collision.
 */
export function nextFreeSlug(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!used.has(candidate)) return candidate;
  }
}
