// A run's webhook deliveries on its page: a delivery that failed while the receiver was not
// there is listed (open, with its last attempt), and "Send again" sends it once more and shows
// it delivered, as the API's log says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../src/testing/receiver.js';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, closeAll, launch, onServer, screenshot, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  server = await startServer();
  receiver = await startReceiver();
  browser = await launch();
  const doc = { slug: 'hooked', name: 'Hooked', dataset: { rows: [{ q: 'a' }] }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }], evaluators: [] };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
});
afterAll(() => closeAll(browser, receiver, server));

async function deliveriesOf(runId: string): Promise<{ status: string }[]> {
  for (let i = 0; i < 500; i++) {
    const list = (await (await server.t.req('GET', `/api/experiments/runs/${runId}/webhooks`)).json()) as { deliveries: { status: string }[] };
    if (list.deliveries.length > 0 && list.deliveries.every((d) => d.status !== 'pending')) return list.deliveries;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the delivery is still pending');
}

describe('webhook deliveries on the run page', () => {
  it('lists a failed delivery with its last attempt, and sends it again on request', async () => {
    receiver.answer = () => ({ status: 404, body: 'no route yet' });
    const res = await server.t.req('POST', '/api/experiments/hooked/run', { body: { webhookUrl: `${receiver.url}/hook` } });
    const { runId, runUrl } = (await res.json()) as { runId: string; runUrl: string };
    await waitForRun(server.t, runId);
    expect(await deliveriesOf(runId)).toMatchObject([{ status: 'failed' }]);

    const { page, problems } = await signedInOnList(browser, server);
    await page.goto(onServer(server, runUrl));
    const section = page.locator('details.webhooks');
    await section.waitFor();
    expect(await section.locator('summary').textContent()).toBe('Webhooks: 1 delivery, 1 failed');
    const row = section.locator('tbody tr');
    expect(await row.locator('td').nth(0).textContent()).toBe('run.finished');
    expect(await row.locator('td[data-status]').textContent()).toBe('failed');
    expect(await row.locator('td.last-attempt').textContent()).toMatch(/^#1 .*: 404 — the receiver answered 404/);
    expect(await axeViolations(page)).toEqual([]);

    receiver.answer = () => ({ status: 200, body: 'ok' });
    await row.getByRole('button', { name: 'Send again' }).click();
    await expect.poll(() => row.locator('td[data-status]').textContent()).toBe('delivered (2 attempts)');
    expect(await row.locator('td.last-attempt').textContent()).toMatch(/^#2 .*: 200$/);
    expect(receiver.requests).toHaveLength(2);
    expect(new Set(receiver.requests.map((r) => r.headers['assay-delivery'])).size).toBe(1);
    await screenshot(page, 'run-page-webhooks');
    expect(problems).toEqual([]);
    await page.close();
  });
});
