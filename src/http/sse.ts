// Serialises a run's event stream as SSE (SPEC §6): `id: <seq>`, one-line JSON `data:`, a
// blank line; `: ping` comments during silence. Writes await the socket, so a slow reader
// only slows its own stream (which reads from the ring or storage at its own pace).
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StreamItem } from '../app/runs/events.js';

export function sseResponse(c: Context, items: (signal: AbortSignal) => AsyncGenerator<StreamItem>): Response {
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    const controller = new AbortController();
    stream.onAbort(() => controller.abort());
    for await (const item of items(controller.signal)) {
      if (stream.aborted || stream.closed) break;
      if (item.kind === 'ping') await stream.write(': ping\n\n');
      // Written by hand: the frame order is `id:` then `data:` (SPEC §6). A page of events
      // goes out as one chunk: one write per page, not per event.
      else await stream.write(item.events.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`).join(''));
    }
    controller.abort();
  });
}
