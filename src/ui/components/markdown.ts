// Markdown for untrusted text (imported chats, model output). Three layers, each enough alone
// for its own threat: raw HTML in the source is shown as text, never parsed; images become a
// text placeholder (loading one would contact a foreign host); links other than http(s)/mailto
// become plain text. DOMPurify then sanitizes the result as a last line of defence.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import { escapeHtml } from '../../lib/escape.ts';

const SAFE_LINK = /^(https?:|mailto:)/i;

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    image({ text }) {
      return `<span class="md-image">[image${text ? `: ${escapeHtml(text)}` : ''}]</span>`;
    },
    link({ href, tokens }) {
      // Control characters and whitespace inside a scheme ("java\tscript:") are stripped by URL parsers.
      const cleaned = href.replace(/[\u0000-\u0020\u007f]/g, '');
      if (!SAFE_LINK.test(cleaned)) return this.parser.parseInline(tokens);
      return false;
    },
  },
});

let hooked = false;
function purifier() {
  if (!hooked) {
    // Links open outside the app, and never tell the target where they came from.
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Safe HTML for a piece of untrusted Markdown. */
export function renderSafeMarkdown(source: string): string {
  const html = marked.parse(source) as string;
  return purifier().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input', 'button', 'iframe', 'object', 'embed', 'video', 'audio', 'source', 'picture'],
    FORBID_ATTR: ['style', 'srcset', 'src', 'background', 'poster'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}
