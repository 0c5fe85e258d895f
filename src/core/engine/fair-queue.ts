// The waiters of a shared limit, served in turns by party (the project a call is for). A limit
// shared by every project (a model on the server's key, an HTTP origin, the worker's cells) was
// one FIFO: a run at concurrency 1,000 queued 1,000 calls, and another project's three calls
// waited behind all of them. Here each party's waiters keep their own order, and the parties
// take one slot each in turn, so a project with one call waiting gets the next slot but one.

export class FairQueue<T> {
  /** Waiters per party; the map's order is the order of turns (the party served goes last). */
  private readonly parties = new Map<string, T[]>();
  private count = 0;

  /** Waiters of every party. */
  get length(): number {
    return this.count;
  }

  push(party: string, item: T): void {
    const queue = this.parties.get(party);
    if (queue) queue.push(item);
    else this.parties.set(party, [item]);
    this.count++;
  }

  /** The first waiter of the party whose turn it is; that party's next turn comes after the others'. */
  shift(): T | undefined {
    const next = this.parties.entries().next();
    if (next.done === true) return undefined;
    const [party, queue] = next.value;
    const item = queue.shift() as T;
    // One party alone keeps its place (the common case: no Map work per grant).
    if (queue.length === 0) this.parties.delete(party);
    else if (this.parties.size > 1) {
      this.parties.delete(party);
      this.parties.set(party, queue);
    }
    this.count--;
    return item;
  }

  /** Takes `item` out of `party`'s waiters (it gave up waiting); false when it is not there. */
  remove(party: string, item: T): boolean {
    const queue = this.parties.get(party);
    const at = queue ? queue.indexOf(item) : -1;
    if (at < 0) return false;
    queue!.splice(at, 1);
    // An empty party loses its place: when it comes back, it comes after those waiting.
    if (queue!.length === 0) this.parties.delete(party);
    this.count--;
    return true;
  }

  /** Every waiter, in turn order, leaving none. */
  drain(): T[] {
    const all: T[] = [];
    while (this.count > 0) all.push(this.shift() as T);
    return all;
  }
}
