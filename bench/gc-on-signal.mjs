// Loaded into the server by the load test (`node --expose-gc --trace-gc --import …`): SIGUSR2
// runs a full garbage collection, so memory "after the runs" is measured on live objects
// rather than on garbage V8 has not collected yet. Benchmark instrumentation only.
process.on('SIGUSR2', () => globalThis.gc?.());
