import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render } from '@testing-library/svelte';
import SafeMarkdown from '../../src/ui/components/SafeMarkdown.svelte';
import { MARKDOWN_LIMITS, nestingDepth, renderSafeMarkdown, renderUntrusted } from '../../src/ui/components/markdown.ts';

function dom(source: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = renderSafeMarkdown(source);
  return div;
}

const PAYLOADS = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 1">',
  '<svg onload="window.__pwned=1"></svg>',
  '<a href="javascript:window.__pwned=1">click</a>',
  '[click me](javascript:window.__pwned=1)',
  '[tabbed](java\tscript:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![tracker](https://tracker.example/pixel.png)',
  '<iframe src="https://evil.example"></iframe>',
  '<div style="background:url(https://evil.example/x)">styled</div>',
  '`code` and <b onmouseover="x()">bold</b>',
];

describe('renderSafeMarkdown', () => {
  it('keeps markdown formatting and safe links', () => {
    const el = dom('**bold** and _it_\n\n- a\n- b\n\n[site](https://example.org) `x<y`');
    expect(el.querySelector('strong')?.textContent).toBe('bold');
    expect(el.querySelectorAll('li')).toHaveLength(2);
    const link = el.querySelector('a')!;
    expect(link.getAttribute('href')).toBe('https://example.org');
    expect(link.getAttribute('rel')).toContain('noopener');
    expect(el.querySelector('code')?.textContent).toBe('x<y');
  });

  it.each(PAYLOADS)('neutralizes %s', (payload) => {
    const el = dom(`before ${payload} after`);
    expect(el.querySelector('script, img, svg, iframe, [style]')).toBeNull();
    for (const node of el.querySelectorAll('*')) {
      for (const attr of node.attributes) expect(attr.name.startsWith('on'), `${attr.name} on ${node.tagName}`).toBe(false);
    }
    for (const a of el.querySelectorAll('a')) expect(a.getAttribute('href') ?? '').toMatch(/^(https?:|mailto:|#)/);
    expect(el.textContent).toContain('before');
    expect(el.textContent).toContain('after');
  });

  it('shows raw HTML as text rather than dropping it', () => {
    expect(dom('<script>alert(1)</script>').textContent).toContain('<script>alert(1)</script>');
  });
});

describe('SafeMarkdown component', () => {
  it('renders the text as markdown', () => {
    const { container } = render(SafeMarkdown, { text: '# Title\n<img src=x onerror=alert(1)>' });
    expect(container.querySelector('h1')?.textContent).toBe('Title');
    expect(container.querySelector('img')).toBeNull();
  });
});

describe('renderUntrusted: limits with a plain-text fallback that says why', () => {
  it('formats ordinary markdown, nested quotes and lists included', () => {
    const r = renderUntrusted('> quoted\n> > twice\n\n- a\n  - b\n    - c\n\n' + '-'.repeat(60) + '\n\n        indented code');
    expect(r.kind).toBe('html');
  });

  it('counts block nesting from quote markers, list markers and indentation', () => {
    expect(nestingDepth('plain')).toBe(0);
    expect(nestingDepth('> > > three')).toBe(3);
    expect(nestingDepth('- a\n    - b\n        - c')).toBe(3);
    expect(nestingDepth('-'.repeat(80))).toBe(0);
  });

  it('refuses 5,000 nested quotes without throwing, saying how deep they go', () => {
    const r = renderUntrusted('>'.repeat(5000) + ' deep');
    expect(r).toEqual({ kind: 'plain', reason: `nested 5000 levels deep; formatting stops at ${MARKDOWN_LIMITS.depth}` });
    const lines = renderUntrusted(Array.from({ length: 5000 }, (_, i) => '> '.repeat(i + 1) + 'x').join('\n'));
    expect(lines.kind).toBe('plain');
  });

  it('shows text over the size limit as plain text', () => {
    const r = renderUntrusted('**bold** '.repeat(20_000));
    expect(r).toEqual({ kind: 'plain', reason: 'longer than 100,000 characters' });
  });

  it('marks text blocks dir="auto" so right-to-left paragraphs read right to left', () => {
    const el = dom('שלום עולם\n\n- مرحبا');
    expect(el.querySelector('p')!.getAttribute('dir')).toBe('auto');
    expect(el.querySelector('li')!.getAttribute('dir')).toBe('auto');
  });
});

describe('SafeMarkdown with pathological messages', () => {
  afterEach(cleanup);

  it('shows 5,000 nested quotes as plain text with a note', async () => {
    const { container, getByText, getByRole } = render(SafeMarkdown, { text: '>'.repeat(5000) + ' deep' });
    // Collapsed to its first 4,000 characters, already too deep to format.
    expect(getByText(/Shown as plain text: nested 4000 levels deep/)).toBeTruthy();
    await fireEvent.click(getByRole('button', { name: /^Show all/ }));
    expect(getByText(/Shown as plain text: nested 5000 levels deep/)).toBeTruthy();
    expect(container.querySelector('.plain')!.textContent).toContain('>>>> deep');
  });

  it('starts a 30 MB message collapsed, and pages it as plain text once shown', async () => {
    const text = 'word '.repeat(6_000_000);
    const { container, getByRole } = render(SafeMarkdown, { text });
    expect(container.textContent!.length).toBeLessThan(5000);
    const button = getByRole('button', { name: 'Show all (1 lines, 30,000,000 characters)' });
    await fireEvent.click(button);
    expect(container.textContent).toContain('Shown as plain text: longer than 100,000 characters');
    expect(container.querySelector('.plain')!.textContent!.length).toBe(200_000);
    await fireEvent.click(getByRole('button', { name: /^Show more \(29,800,000 characters left\)/ }));
    expect(container.querySelector('.plain')!.textContent!.length).toBe(400_000);
    expect(getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('renders only the first lines of a 200,000-line message until asked', () => {
    const text = Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n');
    const started = performance.now();
    const { container, getByRole } = render(SafeMarkdown, { text });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(container.textContent).toContain('line 39');
    expect(container.textContent).not.toContain('line 40\n');
    expect(getByRole('button', { name: /^Show all \(200,000 lines/ })).toBeTruthy();
  });
});
