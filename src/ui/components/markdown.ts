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

const TEXT_BLOCKS = new Set(['P', 'LI', 'BLOCKQUOTE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'TD', 'TH', 'PRE']);

let hooked = false;
function purifier() {
  if (!hooked) {
    // Links open outside the app, and never tell the target where they came from.
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
      // Hebrew or Arabic paragraphs read right to left beside English ones.
      if (TEXT_BLOCKS.has(node.tagName)) node.setAttribute('dir', 'auto');
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Formatting stops here: beyond these a message is shown as plain text, with the reason. Both
 *  keep the parser far from its recursion limit (5,000 nested `>` overflowed the stack) and
 *  from parsing megabytes on the main thread. */
export const MARKDOWN_LIMITS = { chars: 100_000, depth: 32 } as const;

/** How a message is shown: formatted (sanitized HTML), or as plain text and why. */
export type RenderedText = { kind: 'html'; html: string } | { kind: 'plain'; reason: string };

/** The deepest block nesting in the source: quote markers and indentation at each line's start. */
export function nestingDepth(source: string): number {
  let deepest = 0;
  let depth = 0;
  let atLineStart = true;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      depth = 0;
      atLineStart = true;
    } else if (!atLineStart) {
      continue;
    } else if (c === 62 /* > */) {
      depth++;
    } else if (c === 32 || c === 9) {
      // Indentation nests lists; counted loosely (four spaces a level) so indented code is not.
      depth += c === 9 ? 1 : 0.25;
    } else if ((c === 45 || c === 42 || c === 43) /* - * + */ && source.charCodeAt(i + 1) === 32) {
      depth++;
    } else {
      atLineStart = false;
    }
    if (depth > deepest) deepest = depth;
  }
  return Math.floor(deepest);
}

/**
 * Renders untrusted text as safe Markdown when it is within MARKDOWN_LIMITS and parses, and
 * otherwise says why it is to be shown as plain text. Never throws.
 */
export function renderUntrusted(source: string): RenderedText {
  if (source.length > MARKDOWN_LIMITS.chars) {
    return { kind: 'plain', reason: `longer than ${MARKDOWN_LIMITS.chars.toLocaleString('en')} characters` };
  }
  const depth = nestingDepth(source);
  if (depth > MARKDOWN_LIMITS.depth) {
    return { kind: 'plain', reason: `nested ${depth} levels deep; formatting stops at ${MARKDOWN_LIMITS.depth}` };
  }
  try {
    return { kind: 'html', html: renderSafeMarkdown(source) };
  } catch (e) {
    return { kind: 'plain', reason: `its formatting could not be read (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** Safe HTML for a piece of untrusted Markdown. May throw on pathological input: call
 *  renderUntrusted, which limits and catches, for text from outside. */
export function renderSafeMarkdown(source: string): string {
  const html = marked.parse(source) as string;
  return purifier().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input', 'button', 'iframe', 'object', 'embed', 'video', 'audio', 'source', 'picture'],
    FORBID_ATTR: ['style', 'srcset', 'src', 'background', 'poster'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}
