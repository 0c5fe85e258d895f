// The experiment page's form that starts a run (or estimates its cost) with parameters and a
// row selection. The form checks what it can (run-form-check.ts) and says every problem at once;
// what only the server can check (rows of a saved dataset) comes back as its error message.
import { type FormEvent, useState } from 'react';
import type { RunEstimate, StartRunBody } from '../api-types.js';
import { api, describeError, describeIssues } from '../api.js';
import { navigate, paths } from '../lib/router.js';
import { EstimateView } from './estimate-view.js';
import { checkRunForm } from './run-form-check.js';

export function RunForm({ project, slug, rowCount, names }: { project: string; slug: string; rowCount: number | undefined; names: Map<string, string> }) {
  const [params, setParams] = useState('');
  const [rows, setRows] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  // The fields a server's refusal names beyond its message (every column the rows lack, …).
  const [issues, setIssues] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [estimate, setEstimate] = useState<RunEstimate | null>(null);
  const send = async (act: (b: StartRunBody) => Promise<void>) => {
    const checked = checkRunForm(params, rows, rowCount);
    setIssues([]);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setBusy(true);
    setErrors([]);
    try {
      await act(checked.body);
    } catch (err) {
      setErrors([describeError(err)]);
      setIssues(describeIssues(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(async (b) => navigate(paths.run(project, slug, (await api().start(slug, b)).runId)));
  };
  const estimateCost = () => void send(async (b) => setEstimate(await api().estimate(slug, b)));
  const rowsHint = rowCount === undefined ? 'empty = all' : rowCount === 0 ? 'the dataset has no rows' : rowCount === 1 ? 'empty = its one row, numbered 0' : `empty = all ${rowCount}, numbered 0–${rowCount - 1}`;
  return (
    <form className="run-form" onSubmit={(e) => void submit(e)} aria-label="Start a run">
      <label>
        Parameters <span className="muted">(one name=value a line, merged into every row)</span>
        <textarea rows={3} value={params} onChange={(e) => setParams(e.target.value)} placeholder="lang=fr" />
      </label>
      <label>
        Rows <span className="muted">({rowsHint}; e.g. 0,2,5-9)</span>
        <input type="text" value={rows} onChange={(e) => setRows(e.target.value)} aria-invalid={errors.some((m) => m.startsWith('Rows:')) || undefined} />
      </label>
      <div className="buttons">
        <button type="submit" disabled={busy}>
          Run
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={estimateCost}>
          Estimate cost
        </button>
      </div>
      {errors.length > 0 && (
        <div role="alert" className="error-text form-errors" data-testid="run-form-errors">
          {errors.map((m, i) => (
            <p key={i} dir="auto">{m}</p>
          ))}
          {issues.length > 0 && (
            <ul>
              {issues.map((m, i) => (
                <li key={i} dir="auto">{m}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {estimate && <EstimateView estimate={estimate} names={names} />}
    </form>
  );
}
