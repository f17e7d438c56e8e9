import { describe, expect, it } from 'vitest';
import { fireEvent, render } from '@testing-library/svelte';
import { tick } from 'svelte';
import Harness from './VirtualListHarness.svelte';
import Chart from '../../src/ui/components/Chart.svelte';

// jsdom has no layout and no ResizeObserver; the list's height binding only needs it to exist.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

describe('VirtualList', () => {
  it('keeps only the rows near the viewport in the DOM, for thousands of rows', async () => {
    const items = Array.from({ length: 5000 }, (_, i) => `row ${i}`);
    const { container, getByRole } = render(Harness, { items });
    const region = getByRole('region', { name: 'Rows' });
    // jsdom does no layout: give the box the height CSS would.
    Object.defineProperty(region, 'clientHeight', { value: 200, configurable: true });
    const rendered = () => [...container.querySelectorAll('[data-index]')].map((el) => Number(el.getAttribute('data-index')));
    expect(rendered().length).toBeLessThan(60);
    expect(rendered()[0]).toBe(0);
    expect(container.querySelector('[role="list"]')!.getAttribute('style')).toContain(`height: ${5000 * 20}px`);

    region.scrollTop = 20 * 3000;
    await fireEvent.scroll(region);
    await tick();
    const after = rendered();
    expect(after).toContain(3000);
    expect(after).not.toContain(0);
    expect(after.length).toBeLessThan(60);
    const item = container.querySelector('[data-index="3000"]')!.closest('[role="listitem"]')!;
    expect(item.getAttribute('aria-posinset')).toBe('3001');
    expect(item.getAttribute('aria-setsize')).toBe('5000');
  });
});

describe('Chart', () => {
  it('renders bars per candidate with an escaped text alternative and a table of the numbers', () => {
    const { container } = render(Chart, {
      id: 't',
      data: {
        title: 'Scores',
        groups: ['Resonation', 'Reward'],
        series: [
          { name: '<b>generic</b>', values: [0.6, -0.1] },
          { name: 'personalized', values: [0.9, null] },
        ],
      },
    });
    const svg = container.querySelector('svg[role="img"]')!;
    expect(svg.getAttribute('aria-labelledby')).toBe('t-title t-desc');
    expect(svg.querySelectorAll('rect > title')).toHaveLength(3);
    expect(container.querySelector('svg b')).toBeNull();
    expect(svg.querySelector('desc')!.textContent).toContain('<b>generic</b>: Resonation 0.60, Reward -0.10');
    expect(svg.querySelector('desc')!.textContent).toContain('Reward no value');
    const cells = [...container.querySelectorAll('tbody td')].map((td) => td.textContent);
    expect(cells).toEqual(['0.60', '-0.10', '0.90', 'failed']);
  });
});

describe('Chart legend', () => {
  it('wraps many long names onto rows inside the chart, none running into the next', () => {
    const names = ['personalized reply A', 'personalized reply B', 'generic reply number 1', 'generic reply number 2', 'a poor reply, flagged', 'the preferred reply'];
    const { container } = render(Chart, {
      id: 'many',
      data: { title: 'Scores', groups: ['Resonation'], series: names.map((name, i) => ({ name, values: [0.5], flagged: i === 4 })) },
    });
    const svg = container.querySelector('svg')!;
    const width = Number(svg.getAttribute('viewBox')!.split(' ')[2]);
    // The legend's labels: text elements right of a swatch (the axis ticks and group names are anchored otherwise).
    const labels = [...svg.querySelectorAll('text[x][y]:not([text-anchor])')].map((t) => ({ x: Number(t.getAttribute('x')), y: Number(t.getAttribute('y')), text: t.textContent! }));
    expect(labels.map((l) => l.text.replace('⚠ ', ''))).toEqual(names);
    expect(new Set(labels.map((l) => l.y)).size).toBeGreaterThan(1);
    // 12 px text: about 6.5 px a character at most in common fonts, plus the swatch of the next.
    for (const [i, l] of labels.entries()) {
      expect(l.x + l.text.length * 6.5, l.text).toBeLessThanOrEqual(width);
      const next = labels[i + 1];
      if (next && next.y === l.y) expect(next.x - 16, `${l.text} / ${next.text}`).toBeGreaterThanOrEqual(l.x + l.text.length * 6.5);
    }
  });
});

describe('ScoreLegend', () => {
  it('says the scale and formulas in short, every term on demand, and carries the README method section', async () => {
    const { default: ScoreLegend } = await import('../../src/ui/components/ScoreLegend.svelte');
    const { LEGEND_ORDER, SCORE_TERMS } = await import('../../src/export/legend.ts');
    const { getByRole } = render(ScoreLegend, { lambda: 0.25 });
    const legend = getByRole('region', { name: 'What the scores mean' });
    expect(legend.querySelector('p')!.textContent).toMatch(/0–1, higher is better .* reward = empathy \+ λ × \(bystander − 1\), λ = 0\.25/s);
    expect([...legend.querySelectorAll('dt')].map((d) => d.textContent)).toEqual(LEGEND_ORDER.map((t) => SCORE_TERMS[t].name));
    const method = [...legend.querySelectorAll('summary')].find((s) => s.textContent === 'How scores are computed (from the README)')!;
    const text = method.parentElement!.textContent!;
    expect(text).toContain('A harmonic mean is never above the plain mean');
    // The README's wrapped lines are joined back into paragraphs.
    expect(method.parentElement!.querySelectorAll('br')).toHaveLength(0);
  });
});
