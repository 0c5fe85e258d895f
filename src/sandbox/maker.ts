// Creating isolates off the main thread. isolated-vm creates and tears down isolates under one
// process-wide lock, so a `new Isolate` on the main thread waits for every tear-down in
// progress on other threads: after eight isolates of 100 MB ended together, the next took
// 98–200 ms to create, and the whole server waited with it. Created by a small isolate of our
// own (isolated-vm lets an isolate hold its module and make isolates), the wait happens on
// that isolate's thread: 94 ms to get the isolate, 13 ms the most the main thread stalled.
import type ivm from 'isolated-vm';

/** Heap of the making isolate: it only holds the module and hands out handles. */
export const MAKER_MEMORY_MB = 16;

/** What the making isolate runs: its own script, never user code. */
const MAKE = '(function (memoryLimit) { return new ivm.Isolate({ memoryLimit }); })';

type Make = ivm.Reference<(memoryLimit: number) => ivm.Isolate>;

/** Makes isolates on a thread of its own; the maker itself is made on first use. */
export class IsolateMaker {
  private maker: { isolate: ivm.Isolate; make: Promise<Make> } | undefined;

  /** A new, empty isolate with the given heap limit (MB). */
  async create(module: typeof ivm, memoryMb: number): Promise<ivm.Isolate> {
    if (!this.maker || this.maker.isolate.isDisposed) this.maker = this.start(module);
    const make = await this.maker.make;
    return (await make.apply(undefined, [memoryMb])) as unknown as ivm.Isolate;
  }

  private start(module: typeof ivm): { isolate: ivm.Isolate; make: Promise<Make> } {
    const isolate = new module.Isolate({ memoryLimit: MAKER_MEMORY_MB });
    const make = (async () => {
      const context = await isolate.createContext();
      await context.global.set('ivm', module);
      return (await context.eval(MAKE, { reference: true })) as Make;
    })();
    // A failed start is not kept: the next creation starts a new maker.
    make.catch(() => {
      if (!isolate.isDisposed) isolate.dispose();
    });
    return { isolate, make };
  }
}
