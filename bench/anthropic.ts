// The benchmark's Anthropic provider: the fake Anthropic server (real Messages protocol) in its
// own process, answering after a fixed latency. Prints "ANTHROPIC <url>" (without /v1, as
// ANTHROPIC_BASE_URL is usually given).
// Usage: tsx bench/anthropic.ts <latencyMs>
import { startFakeAnthropic } from '../src/testing/fake-anthropic.js';

// The announced rate limit is far above what a benchmark sends (see bench/openai.ts).
const provider = await startFakeAnthropic({ apiKey: 'sk-ant-bench-000000000000000000000', latencyMs: Number(process.argv[2] ?? 0), keepRequests: 0, rateLimitRequests: 100_000_000 });
console.log(`ANTHROPIC ${provider.url}`);
process.on('SIGTERM', () => void provider.close().then(() => process.exit(0)));
