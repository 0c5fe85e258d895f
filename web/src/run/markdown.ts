// Markdown for untrusted model output: marked renders, DOMPurify sanitises. Loaded on first
// use (the drawer's Markdown view), so neither library weighs on the first paint.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

// HTML inside the Markdown is shown as the text it is, never handed to the browser's parser.
// DOMPurify parses before it removes, and Chrome holds even that inert parse to the page's CSP:
// every inline handler or style attribute (a model's <span style="…"> as much as an attack) was
// a CSP violation in the console, refused but reported. What marked makes from Markdown syntax
// carries neither. Block HTML keeps its lines.
const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text, block }) => (block ? `<pre>${escapeHtml(text.replace(/\n+$/, ''))}</pre>\n` : escapeHtml(text)),
  },
});

// Links open elsewhere without handing this page to the target; images are dropped (an image
// is a request to any host the output names, and the CSP would refuse it anyway).
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false });
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['img', 'picture', 'source', 'video', 'audio', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'style', 'link', 'meta', 'svg', 'math'],
    FORBID_ATTR: ['style', 'srcset'],
    ALLOW_DATA_ATTR: false,
  });
}
