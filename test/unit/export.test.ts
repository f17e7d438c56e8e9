// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { buildDemoBundle } from '../../src/demo/bundle.ts';
import { buildResults } from '../../src/export/results.ts';
import { toCsv, toHtml, toJson, toJsonl, CSV_COLUMNS } from '../../src/export/formats.ts';
import { BYSTANDER_KEYS } from '../../src/method/steps/bystander.ts';
import { LEGEND_ORDER, SCORE_TERMS } from '../../src/export/legend.ts';
import type { Judgment } from '../../src/domain/records.ts';

async function sampleReport() {
  const b = await buildDemoBundle();
  const cases = b.cases.slice(0, 2);
  const candidates = b.candidates.filter((c) => cases.some((x) => x.id === c.caseId));
  // A malicious candidate: its text must come out as text everywhere.
  candidates[0] = { ...candidates[0], name: '<img src=x onerror=alert(1)>', text: '=HYPERLINK("http://evil") <script>alert(1)</script>' };
  const judgments: Judgment[] = [];
  const base = { mode: 'fixed' as const, model: 'scripted', seed: 1, attempts: 1, flags: [], usage: { promptTokens: 1, completionTokens: 1 }, createdAt: 1 };
  candidates.forEach((cand, i) => {
    const score = (i % 3) + 2;
    for (const kind of ['resonation', 'expression', 'reception'] as const) {
      judgments.push({ ...base, id: `${cand.id}-${kind}`, caseId: cand.caseId, candidateId: cand.id, kind, trial: 0, status: 'ok', score, analysis: `Analysis <b>${kind}</b>`, raw: '{}' });
    }
    if (i === 1) {
      judgments.push({ ...base, id: `${cand.id}-by`, caseId: cand.caseId, candidateId: cand.id, kind: 'bystander', trial: 0, status: 'failed', raw: 'not json </pre><script>x</script>', error: 'no JSON object' });
    } else {
      judgments.push({ ...base, id: `${cand.id}-by`, caseId: cand.caseId, candidateId: cand.id, kind: 'bystander', trial: 0, status: 'ok', subscores: Object.fromEntries(BYSTANDER_KEYS.map((k) => [k, 16])), raw: '{}' });
    }
  });
  // The second candidate tried to instruct the judge (flagged on its dimension judgments).
  for (const j of judgments) if (j.candidateId === candidates[1].id && j.kind !== 'bystander') j.flags = ['prompt-injection'];
  return buildResults({ title: 'Demo <report>', people: b.people, cases, candidates, judgments, lambda: 0.5, now: 0 });
}

describe('results', () => {
  it('aggregates by the reference formulas and keeps failures missing, not substituted', async () => {
    const r = await sampleReport();
    const first = r.results[0];
    expect(first.aggregate.dimensions.resonation.score).toBeCloseTo(2 / 5);
    expect(first.aggregate.empathy).toBeCloseTo(0.4);
    expect(first.aggregate.bystander).toBeCloseTo(0.8);
    expect(first.aggregate.reward).toBeCloseTo(0.4 + 0.5 * (0.8 - 1));
    const failed = r.results[1];
    expect(failed.aggregate.bystander).toBeNull();
    expect(failed.aggregate.reward).toBeNull();
    expect(failed.aggregate.failures).toBe(1);
    expect(r.summary.failedJudgments).toBe(1);
    expect(r.results.map((x) => x.aggregate.injectionFlags.length > 0)).toEqual(r.results.map((_, i) => i === 1));
    expect(r.summary.flaggedReplies).toBe(1);
    expect(r.agreement?.pairs).toBeGreaterThan(0);
  });
});

describe('exports', () => {
  it('CSV parses back with one row per candidate and neutralises formulas', async () => {
    const r = await sampleReport();
    const parsed = Papa.parse<Record<string, string>>(toCsv(r).replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual([...CSV_COLUMNS]);
    expect(parsed.data).toHaveLength(r.results.length);
    expect(parsed.data[0].reply.startsWith("'=HYPERLINK")).toBe(true);
    expect(Number(parsed.data[0].reward)).toBeCloseTo(r.results[0].aggregate.reward!, 4);
    expect(parsed.data[1].bystander).toBe('');
    expect(parsed.data.map((row) => row.injection_flags)).toEqual(r.results.map((_, i) => (i === 1 ? 'prompt-injection' : '')));
  });

  it('JSONL has one parseable record per candidate with failures and raw text', async () => {
    const r = await sampleReport();
    const lines = toJsonl(r).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(r.results.length);
    expect(lines[1].failures).toHaveLength(1);
    expect(lines[1].failures[0]).toMatchObject({ kind: 'bystander', raw: expect.stringContaining('not json') });
    expect(lines[1].bystander).toMatchObject({ status: 'failed', b: null });
    expect(lines[0].scores.resonation).toMatchObject({ score: 0.4, nOk: 1, nFailed: 0 });
    expect(lines[0].scores.resonation.trials[0]).toMatchObject({ status: 'ok', score: 2 });
    expect(lines[0].reward).toBeCloseTo(0.3);
    expect(lines.map((l) => l.aggregate.injectionFlags)).toEqual(r.results.map((_, i) => (i === 1 ? ['prompt-injection'] : [])));
    const json = JSON.parse(toJson(r));
    expect(json.results).toHaveLength(r.results.length);
    expect(json.summary.flaggedReplies).toBe(1);
    expect(json.results[1].aggregate.injectionFlags).toEqual(['prompt-injection']);
  });

  it('HTML report escapes everything, has no script or external reference, and holds a chart per case', async () => {
    const r = await sampleReport();
    const html = toHtml(r);
    const doc = new DOMParser().parseFromString(html, 'text/html');
    expect(doc.querySelectorAll('script')).toHaveLength(0);
    expect(doc.querySelectorAll('img')).toHaveLength(0);
    expect(doc.querySelectorAll('svg.chart')).toHaveLength(2);
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(doc.body.textContent).toContain('<script>alert(1)</script>');
    expect(doc.title).toBe('Demo <report>');
    expect(doc.querySelector('.failed')?.textContent).toContain('failed');
  });

  it('HTML report shows a flagged reply: the count, a mark beside its name in the table and the analyses, and in the chart', async () => {
    const r = await sampleReport();
    const doc = new DOMParser().parseFromString(toHtml(r), 'text/html');
    const summaryRow = [...doc.querySelectorAll('tr')].find((tr) => tr.textContent?.includes('flagged as prompt injection'));
    expect(summaryRow?.querySelector('td')?.textContent).toBe('1');
    const flagged = r.results[1].candidateName;
    // Candidates of the other case have the same names: exactly one row carries the mark, and it is this one's.
    const marked = [...doc.querySelectorAll('tbody th[scope="row"] .flag')];
    expect(marked.map((m) => m.textContent)).toEqual(['⚠ Prompt injection']);
    expect(marked[0].parentElement?.textContent?.startsWith(flagged)).toBe(true);
    expect(marked[0].closest('section')?.textContent).toContain(r.results[1].query);
    const summaries = [...doc.querySelectorAll('details > summary')];
    expect(summaries.filter((s) => s.querySelector('.flag')).map((s) => s.textContent)).toEqual([`${flagged} ⚠ Prompt injection: reply and analyses`]);
    expect(doc.querySelector('details p.flag')?.textContent).toMatch(/speak to the judge instead of the person/);
    const legends = [...doc.querySelectorAll('svg.chart text tspan')].map((t) => t.textContent);
    expect(legends).toEqual(['⚠ ']);
    expect([...doc.querySelectorAll('svg.chart desc')].map((d) => d.textContent).join(' ')).toContain(`${flagged} (⚠ prompt injection)`);
  });

  it('HTML report explains every figure: a legend of all terms and a tooltip on each figure', async () => {
    const r = await sampleReport();
    const doc = new DOMParser().parseFromString(toHtml(r), 'text/html');
    const legend = doc.querySelector('details.legend')!;
    expect(legend.querySelector('summary')!.textContent).toBe(`How scores are computed (λ = ${r.lambda} here)`);
    expect([...legend.querySelectorAll('dt')].map((d) => d.textContent)).toEqual(LEGEND_ORDER.map((t) => SCORE_TERMS[t].name));
    // The two data-set figures that differ say why, where they stand.
    const rowTip = (name: string) => [...doc.querySelectorAll('th[scope="row"]')].find((th) => th.textContent === name)?.getAttribute('title');
    expect(rowTip('Overall empathy score (reference)')).toMatch(/mean of the three dimension means .* never below mean empathy/);
    expect(rowTip('Mean empathy')).toMatch(/harmonic mean/);
    const headTips = [...doc.querySelectorAll('section thead th')].map((th) => [th.textContent, th.getAttribute('title')]);
    for (const [name, tip] of headTips.filter(([name]) => name !== 'Candidate')) expect(tip, name!).toMatch(new RegExp(`^${name}`, 'i'));
  });
});

