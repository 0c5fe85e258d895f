// Entry of the evaluator worker when Assay runs from its TypeScript sources (`npm start` in a
// checkout, vitest): a worker thread starts without the parent's tsx hooks, so it registers tsx
// itself before loading ./worker.ts. The build (dist/) loads the compiled worker.js directly.
import { register } from 'tsx/esm/api';

register();
const { default: evaluate } = await import('./worker.ts');

export default evaluate;
