// A count and its noun, singular for one: "1 cell", "3 cells", "1 row", "0 rows".

/** `n` and `one` or `many` (default `one` + "s"), by whether n is 1. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
