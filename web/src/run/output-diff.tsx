// A word-level diff of a cell's output against the baseline's (jsdiff's diffWords), loaded on
// first use like the Markdown renderer. Outputs are untrusted text: the parts are rendered as
// React text inside <ins>/<del>, never as HTML.
import { useEffect, useState } from 'react';

type Part = { value: string; added?: boolean; removed?: boolean };

const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v, null, 2));

export function OutputDiff({ baseline, candidate }: { baseline: unknown; candidate: unknown }) {
  const [parts, setParts] = useState<Part[] | null>(null);
  useEffect(() => {
    let live = true;
    void import('diff').then(({ diffWords }) => {
      if (live) setParts(diffWords(asText(baseline), asText(candidate)));
    });
    return () => {
      live = false;
    };
  }, [baseline, candidate]);
  if (!parts) return <p className="muted">Comparing…</p>;
  return (
    <pre className="output-text output-diff" dir="auto" aria-label="Output against the baseline: removed words struck through, added words underlined">
      {parts.map((p, i) => (p.added ? <ins key={i}>{p.value}</ins> : p.removed ? <del key={i}>{p.value}</del> : <span key={i}>{p.value}</span>))}
    </pre>
  );
}
