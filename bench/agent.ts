// The benchmark's agent: the fake agent server in its own process (so its CPU is not counted
// against Assay). Prints its URL on stdout. Usage: tsx bench/agent.ts <latencyMs>
import { startFakeAgent } from '../src/testing/fake-agent.js';

const latencyMs = Number(process.argv[2] ?? 0);
const agent = await startFakeAgent({ latencyMs, keepRequests: 0 });
console.log(`AGENT ${agent.url}`);
process.on('SIGTERM', () => void agent.close().then(() => process.exit(0)));
