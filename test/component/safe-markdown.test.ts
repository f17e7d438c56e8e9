import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import SafeMarkdown from '../../src/ui/components/SafeMarkdown.svelte';
import { renderSafeMarkdown } from '../../src/ui/components/markdown.ts';

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
