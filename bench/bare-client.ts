// The floor of the prompt benchmark: the same calls Assay's prompt targets make (the same
// chat-completion bodies, two models a row, the same concurrency, the same fake provider) sent
// by a bare undici client with nothing else to do — no run, no evaluators, no storage. What it
// loses against the ideal is the setup's (the provider's timers, loopback TCP, the machine),
// not Assay's. Prints one line `PASS {"wallMs":…,"cpuMs":…}` per pass: the first pass opens its
// connections (as a server's first run does), later ones reuse them.
// Usage: tsx bench/bare-client.ts <baseURL> <apiKey> <rows> <concurrency> <passes>
import { Agent, request } from 'undici';

const [baseURL, apiKey, rowsArg, concurrencyArg, passesArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const concurrency = Number(concurrencyArg);
const models = ['gpt-4o-mini', 'gpt-4o'];
const agent = new Agent({ connections: concurrency * 2 });

async function pass(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const cells = rows * models.length;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    // Row-major, as Assay dispatches cells: row r's two targets one after the other.
    for (let cell = next++; cell < cells; cell = next++) {
      const body = JSON.stringify({
        model: models[cell % 2], temperature: 0, max_tokens: 64,
        messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: `question ${Math.floor(cell / 2)}` }],
      });
      const res = await request(`${baseURL}/chat/completions`, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body });
      if (res.statusCode !== 200) throw new Error(`the provider answered ${res.statusCode}`);
      JSON.parse(await res.body.text());
    }
  }));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`PASS ${JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 })}`);
}

for (let i = 0; i < Number(passesArg); i++) await pass();
await agent.close();
