// The benchmark's model provider: the fake OpenAI server (real chat-completions protocol) in
// its own process, answering after a fixed latency. Prints "OPENAI <baseURL>".
// Usage: tsx bench/openai.ts <latencyMs>
import { startFakeOpenAI } from '../src/testing/fake-openai.js';

// The announced requests-per-minute is far above what a benchmark sends: Assay honours
// `x-ratelimit-remaining-requests: 0` by pausing calls, which would measure the fake's limit.
const provider = await startFakeOpenAI({ apiKey: 'sk-bench-0000000000000000000000', latencyMs: Number(process.argv[2] ?? 0), keepRequests: 0, rateLimitRequests: 100_000_000 });
console.log(`OPENAI ${provider.baseURL}`);
process.on('SIGTERM', () => void provider.close().then(() => process.exit(0)));
