// Sign-in with a project API key. The key is checked against GET /api/projects/current, which
// also names the project whose pages the user goes to.
import { type FormEvent, useState } from 'react';
import { ApiError, Api, clientFor, describeError } from '../api.js';
import { navigate, paths, useRoute } from '../lib/router.js';
import { signIn, signOutNotice } from '../lib/session.js';
import { useStore } from '../lib/store.js';
import { useTitle } from '../lib/title.js';

export function SignIn() {
  const route = useRoute();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const notice = useStore(signOutNotice);
  useTitle('Sign in');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    // Why the tab was signed out no longer applies once another key is tried: this attempt's
    // own outcome is the one message shown.
    signOutNotice.set(null);
    try {
      const apiKey = key.trim();
      const project = await new Api(clientFor(apiKey)).project();
      signIn({ apiKey, project });
      // A runUrl opened before signing in stays where it was; the root goes to the experiments.
      if (route.name === 'home' || route.name === 'unknown') navigate(paths.experiments(project.slug), { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Invalid API key' : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Sign in</h1>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <p>Use a project API key (<code>sk-lw-…</code>). It is kept in this tab only and sent to this server only.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" required value={key} onChange={(e) => setKey(e.target.value)} aria-describedby={error ? 'sign-in-error' : undefined} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p id="sign-in-error" role="alert" className="error-text">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
