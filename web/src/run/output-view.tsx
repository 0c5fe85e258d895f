// An output shown as text, as formatted JSON, or as Markdown (sanitised). Text and JSON are
// React text nodes: nothing in them is ever parsed as HTML.
import { useEffect, useId, useState } from 'react';
import { asText } from '../lib/format.js';

type Mode = 'text' | 'json' | 'markdown';

function pretty(v: unknown): string {
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2) ?? String(v);
}

export function OutputView({ output }: { output: unknown }) {
  const [mode, setMode] = useState<Mode>(typeof output === 'string' ? 'text' : 'json');
  const [html, setHtml] = useState<string | null>(null);
  const name = useId();
  useEffect(() => {
    if (mode !== 'markdown') return;
    let live = true;
    void import('./markdown.js').then(({ renderMarkdown }) => {
      if (live) setHtml(renderMarkdown(asText(output)));
    });
    return () => {
      live = false;
    };
  }, [mode, output]);
  return (
    <div className="output-view">
      <div role="radiogroup" aria-label="Show output as" className="segmented">
        {(['text', 'json', 'markdown'] as const).map((m) => (
          <label key={m}>
            <input type="radio" name={name} value={m} checked={mode === m} onChange={() => setMode(m)} />
            {m === 'json' ? 'JSON' : m === 'text' ? 'Text' : 'Markdown'}
          </label>
        ))}
      </div>
      {/* Untrusted text in any script: dir="auto" lays out Arabic or Hebrew right to left. */}
      {mode === 'text' && <pre className="output-text" dir="auto">{asText(output)}</pre>}
      {mode === 'json' && <pre className="output-text" dir="auto">{pretty(output)}</pre>}
      {/* Sanitised by DOMPurify in markdown.ts; the CSP refuses inline script besides. */}
      {mode === 'markdown' && (html === null ? <p className="muted">Rendering…</p> : <div className="markdown" dir="auto" dangerouslySetInnerHTML={{ __html: html }} />)}
    </div>
  );
}
