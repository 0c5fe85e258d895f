// The benchmark's model provider: the fake OpenAI server (real chat-completions protocol) in
// its own process, answering after a fixed latency. Prints "OPENAI <baseURL>".
// A line `peak` on stdin answers `PEAK {"<model>": n, …}`: the most calls of each model it had
// in flight at once since the start or the last `reset` line (answered `RESET ok`); the cluster
// benchmark checks a shared model cap with it.
// Usage: tsx bench/openai.ts <latencyMs>
import { startFakeOpenAI } from '../src/testing/fake-openai.js';

// The announced requests-per-minute is far above what a benchmark sends: Assay honours
// `x-ratelimit-remaining-requests: 0` by pausing calls, which would measure the fake's limit.
const provider = await startFakeOpenAI({ apiKey: 'sk-bench-0000000000000000000000', latencyMs: Number(process.argv[2] ?? 0), keepRequests: 0, rateLimitRequests: 100_000_000 });
console.log(`OPENAI ${provider.baseURL}`);
let input = '';
process.stdin.on('data', (d: Buffer) => {
  input += d.toString();
  for (let nl = input.indexOf('\n'); nl >= 0; nl = input.indexOf('\n')) {
    const line = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (line === 'peak') console.log(`PEAK ${JSON.stringify(Object.fromEntries(provider.peakInFlight))}`);
    if (line === 'reset') {
      provider.peakInFlight.clear();
      console.log('RESET ok');
    }
  }
});
process.on('SIGTERM', () => void provider.close().then(() => process.exit(0)));
