// Markdown for untrusted model output: marked renders, DOMPurify sanitises. Loaded on first
// use (the drawer's Markdown view), so neither library weighs on the first paint.
import DOMPurify from 'dompurify';
import { marked } from 'marked';

// Links open elsewhere without handing this page to the target; images are dropped (an image
// is a request to any host the output names, and the CSP would refuse it anyway).
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true });
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['img', 'picture', 'source', 'video', 'audio', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'style', 'link', 'meta', 'svg', 'math'],
    FORBID_ATTR: ['style', 'srcset'],
    ALLOW_DATA_ATTR: false,
  });
}
