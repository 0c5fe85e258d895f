import { renderString, renderTurn } from './src/targets/templates.js';
const tpl = `{% assign arr = q | split: "" %}{{ arr | find_exp: "x", "arr | find: 'length', 99" }}`;
for (const n of [300, 3000, 30000]) {
  const t0 = performance.now();
  let out = '';
  try { out = await renderTurn(() => renderString(tpl, { q: 'a'.repeat(n) })); } catch (e) { out = 'ERR ' + (e as Error).message; }
  console.log(n, (performance.now() - t0).toFixed(1), 'ms', out.slice(0, 80));
}
for (const t of [`{% assign arr = q | split: "" %}{{ arr | where: 'length', 2 | size }}`, `{% assign arr = q | split: "" %}{{ arr | sort | size }}`, `{% assign arr = q | split: "" %}{{ arr | sample: 1000000 | size }}`, `{{ q | slugify | size }}`, `{% assign arr = q | split: "" %}{{ arr | group_by: 'length' | size }}`, `{% assign arr = q | split: "" %}{{ arr | map: 'length' | size }}`]) {
  const t0 = performance.now();
  let out = '';
  try { out = await renderTurn(() => renderString(t, { q: 'ab '.repeat(333_333) })); } catch (e) { out = 'ERR ' + (e as Error).message; }
  console.log((performance.now() - t0).toFixed(1), 'ms', t.slice(30, 70), out.slice(0, 60));
}
