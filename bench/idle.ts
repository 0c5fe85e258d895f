// Idle CPU of a fresh server: CPU ms per second over IDLE_S seconds after start-up has settled.
// Used to compare commits side by side (docs/benchmarks.md); not part of `npm run bench`.
import { startServer } from './servers.js';
import { cpuMs } from './proc.js';
const seconds = Number(process.env.IDLE_S ?? 20);
const server = await startServer();
await new Promise((r) => setTimeout(r, 3_000));
const c0 = cpuMs(server.pid);
await new Promise((r) => setTimeout(r, seconds * 1000));
console.log('idle CPU ms/s', ((cpuMs(server.pid) - c0) / seconds).toFixed(2));
await server.stop();
