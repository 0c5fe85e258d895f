// Cost of rendering ordinary templates (src/targets/templates.ts) in this process: a prompt with
// a few outputs and filters, a loop over contexts, and an array filter chain; median and p95 of
// 20,000 timed renders in turns of 10, after 2,000 warm-up renders. It shows what the render
// limits (the deadline checked in every filter call and filter step) cost a normal render.
// Part of `npm run bench` (`--only=templates`).
import { renderString, renderTurn } from '../src/targets/templates.js';

const SCOPE = {
  role: 'support agent',
  question: '  How do I reset my password when the email link has expired?  ',
  contexts: ['Open Settings, then Security.', 'Choose Reset password.', 'A new link arrives within minutes.'],
  items: Array.from({ length: 20 }, (_, i) => ({ name: `item ${i}`, price: i * 3, tags: ['a', 'b'] })),
};

const TEMPLATES: Record<string, string> = {
  prompt: 'You are a {{ role | default: "assistant" | capitalize }}. Question: {{ question | strip | truncate: 200 }}',
  loop: 'Contexts:{% for c in contexts %}\n{{ forloop.index }}. {{ c | upcase | escape }}{% endfor %}',
  arrays: '{{ items | map: "name" | join: ", " }} / {{ items | where: "price", 9 | size }} / {{ items | sort: "price" | last | json }}',
};

export interface TemplateTiming {
  name: string;
  medianUs: number;
  p95Us: number;
}

export async function timeTemplates(renders = 20_000): Promise<TemplateTiming[]> {
  const out: TemplateTiming[] = [];
  for (const [name, template] of Object.entries(TEMPLATES)) {
    // A turn shares one 100 ms budget: a machine that pauses this process for that long (a busy
    // shared host) fails the turn, which is then timed again.
    const batch = async (): Promise<void> => {
      for (;;) {
        try {
          return await renderTurn(() => {
            for (let i = 0; i < 10; i++) renderString(template, SCOPE);
          });
        } catch {
          // Paused past the limit: time the turn again.
        }
      }
    };
    for (let i = 0; i < 200; i++) await batch();
    const times: number[] = [];
    for (let i = 0; i < renders / 10; i++) {
      const t0 = performance.now();
      await batch();
      times.push(((performance.now() - t0) * 1000) / 10);
    }
    times.sort((a, b) => a - b);
    out.push({ name, medianUs: times[Math.floor(times.length / 2)]!, p95Us: times[Math.floor(times.length * 0.95)]! });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await timeTemplates()) console.log(`${r.name.padEnd(8)} median ${r.medianUs.toFixed(2)} µs, p95 ${r.p95Us.toFixed(2)} µs a render`);
}
