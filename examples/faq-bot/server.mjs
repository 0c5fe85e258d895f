// A small FAQ bot for the demo: POST {message} → {reply}. It matches keywords against a fixed
// FAQ of a fictional product, waits a little like a real model would, and answers
// "Sorry, I don't know." when nothing matches. Run alone: node examples/faq-bot/server.mjs
import http from 'node:http';

/** Keyword sets (all must appear) → answer. First match wins. */
export const FAQ = [
  [['reset', 'password'], 'Open Settings > Security and choose Reset password.'],
  [['cancel', 'subscription'], 'Go to Billing > Plan and choose Cancel subscription.'],
  [['refund'], 'Refunds are available within 30 days of purchase.'],
  [['price'], 'Plans start at $12 per user per month.'],
  [['cost'], 'Plans start at $12 per user per month.'],
  [['free', 'trial'], 'The free trial lasts 14 days.'],
  [['export', 'data'], 'Use Settings > Data > Export to download a ZIP of your data.'],
  [['delete', 'account'], 'Email support@acme.example to delete your account.'],
  [['support', 'hours'], 'Support is open 9:00-18:00 CET, Monday to Friday.'],
  [['contact', 'support'], 'Email support@acme.example or use the chat in the app.'],
  [['two-factor'], 'Enable two-factor authentication in Settings > Security.'],
  [['2fa'], 'Enable two-factor authentication in Settings > Security.'],
  [['invite'], 'Admins can invite teammates from Settings > Team.'],
  [['api', 'key'], 'Create API keys in Settings > Developers.'],
  [['region'], 'Data is stored in the EU (Frankfurt) by default.'],
  [['sso'], 'SSO with SAML is included in the Business plan.'],
  [['mobile', 'app'], 'Apps are available for iOS and Android.'],
  [['offline'], 'The desktop app works offline and syncs when you reconnect.'],
  [['change', 'email'], 'Change your email in Settings > Profile.'],
  [['invoice'], 'Invoices are in Billing > History.'],
  [['uptime'], 'Our uptime target is 99.9% per month.'],
  [['limit', 'storage'], 'Each user gets 100 GB of storage.'],
];

export function answer(message) {
  const text = String(message ?? '').toLowerCase();
  for (const [words, reply] of FAQ) if (words.every((w) => text.includes(w))) return reply;
  return "Sorry, I don't know.";
}

/** Starts the bot on 127.0.0.1; resolves to { url, close }. */
export function startFaqBot({ port = 0, minLatencyMs = 20, maxLatencyMs = 120 } = {}) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 100_000) req.destroy();
    });
    req.on('end', () => {
      let message;
      try {
        message = JSON.parse(body || '{}').message;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid JSON"}');
        return;
      }
      const delay = minLatencyMs + Math.random() * (maxLatencyMs - minLatencyMs);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: answer(message) })), delay);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://127.0.0.1:${actual}`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bot = await startFaqBot({ port: Number(process.env.PORT ?? 8080) });
  console.log(`FAQ bot on ${bot.url}/chat`);
}
