// A server in process whose `openai` provider is a fake OpenAI server on loopback (it reports
// usage, so gpt-4o-mini and friends are priced from the table), with a fake HTTP agent beside
// it: what the tests of costs (estimates, comparisons) run against.
import { type FakeAgent, startFakeAgent } from './fake-agent.js';
import { startFakeOpenAI } from './fake-openai.js';
import type { FakeLlmProvider } from './fake-provider-core.js';
import { startTestAssay, type TestAssay } from './harness.js';

export interface PricedAssay {
  t: TestAssay;
  provider: FakeLlmProvider;
  agent: FakeAgent;
  close(): Promise<void>;
}

export async function startPricedAssay(apiKey: string): Promise<PricedAssay> {
  const provider = await startFakeOpenAI({ apiKey });
  const agent = await startFakeAgent({ latencyMs: 0 });
  const t = await startTestAssay({ providers: { openai: { apiKey, baseUrl: provider.baseURL } } });
  return {
    t, provider, agent,
    close: async () => {
      await t.close();
      await provider.close();
      await agent.close();
    },
  };
}
