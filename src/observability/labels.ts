// Label values that cannot blow up a Prometheus series count or carry user data. A label takes
// a value from a closed set (target types, statuses) or, for names an experiment author picks
// (provider models), the first few distinct well-formed values; anything after that, or
// anything that does not look like a model name, is reported as `other`.

/** The value that stands for every value a label refuses. */
export const OTHER = 'other';

/** Characters a model name may have to be used as a label value as is. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,79}$/;

/** Admits at most `max` distinct well-formed values, in order of first sight. */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (!NAME.test(raw) || this.seen.size >= this.max) return OTHER;
    this.seen.add(raw);
    return raw;
  }
}
