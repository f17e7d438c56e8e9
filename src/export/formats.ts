// Results to files: CSV for spreadsheets, JSONL (one candidate per line), JSON (the whole
// report) and a self-contained HTML report that works offline from disk. Pure string output.
import Papa from 'papaparse';
import { DIMENSIONS } from '../domain/records.ts';
import { BYSTANDER_KEYS } from '../method/steps/bystander.ts';
import { escapeHtml } from '../lib/escape.ts';
import { groupedBarsSvg, type ChartData } from './chart.ts';
import { LEGEND_ORDER, METHOD_SECTION, SCORE_TERMS, termTooltip, type ScoreTerm } from './legend.ts';
import type { CandidateResult, ResultsReport } from './results.ts';
import { runHeaderRows } from './run-header.ts';
import { resultLine, type ResultLine } from '../method/result-line.ts';
import { injectionNotice } from '../method/injection.ts';

const round = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? null : Number(v.toFixed(digits)));

/** Spreadsheets run cells starting with these as formulas; a leading quote keeps them text. */
function spreadsheetSafe(v: unknown): unknown {
  return typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export const CSV_COLUMNS = [
  'person', 'case_id', 'category', 'query', 'candidate_id', 'candidate', 'injection_flags', 'label',
  ...DIMENSIONS.map((d) => `${d}_score`), ...DIMENSIONS.map((d) => `${d}_mean_1to5`),
  'bystander', ...BYSTANDER_KEYS, 'empathy', 'reward', 'failures', 'reply',
  // Which reference item and system this is, and how it was judged (the run header's essentials).
  'session_id', 'query_id', 'system', 'protocol', 'model',
] as const;

export function toCsv(report: ResultsReport): string {
  const rows = report.results.map((r) => [
    r.personName, r.caseId, r.category, r.query, r.candidateId, r.candidateName, r.aggregate.injectionFlags.join('; '), r.label,
    ...DIMENSIONS.map((d) => round(r.aggregate.dimensions[d].score)),
    ...DIMENSIONS.map((d) => round(r.aggregate.dimensions[d].meanRaw)),
    round(r.aggregate.bystander), ...BYSTANDER_KEYS.map((k) => round(r.subscores?.[k] ?? null)),
    round(r.aggregate.empathy), round(r.aggregate.reward), r.aggregate.failures, r.candidateText,
    r.sessionId, r.queryId, r.system, report.header?.protocol, report.header?.engine.model ?? r.judgments[0]?.model,
  ].map((v) => spreadsheetSafe(v ?? '')));
  // A byte-order mark so spreadsheet programs read the file as UTF-8.
  return `\uFEFF${Papa.unparse({ fields: [...CSV_COLUMNS], data: rows }, { newline: '\r\n' })}\r\n`;
}

/**
 * One candidate per line, in the line shape `attune evaluate` writes (ResultLine), so files
 * from the app and the CLI can be read by the same tools. Every judgment here is a stored one,
 * so `tokens.calls` is 0 and all of them count as cached.
 */
export function jsonlRecord(r: CandidateResult, report: ResultsReport): ResultLine {
  return resultLine({
    case: { id: r.caseId, personId: r.personId, query: r.query, category: r.category, sessionId: r.sessionId, queryId: r.queryId },
    candidate: { id: r.candidateId, name: r.candidateName, label: r.label, system: r.system },
    protocol: report.header?.protocol ?? 'default',
    model: report.header?.engine.model ?? r.judgments[0]?.model ?? '',
    judgments: r.judgments, criteria: r.criteria, aggregate: r.aggregate,
    calls: 0, cachedJudgments: r.judgments.length,
  });
}

/** The run header first (when the report has one), as `attune evaluate` writes its results files, then one line per candidate. */
export function toJsonl(report: ResultsReport): string {
  const lines = report.results.map((r) => JSON.stringify(jsonlRecord(r, report)));
  return [...(report.header ? [JSON.stringify(report.header)] : []), ...lines].join('\n') + '\n';
}

export function toJson(report: ResultsReport): string {
  return JSON.stringify(report, null, 2);
}

/** A score as reports and screens show it: fixed digits, '—' when there is none. */
export const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '—' : v.toFixed(digits));

export function caseChart(results: CandidateResult[], title: string): ChartData {
  return {
    title,
    groups: ['Resonation', 'Expression', 'Reception', 'Bystander', 'Empathy', 'Reward'],
    series: results.map((r) => ({
      name: r.candidateName,
      flagged: r.aggregate.injectionFlags.length > 0,
      values: [...DIMENSIONS.map((d) => r.aggregate.dimensions[d].score), r.aggregate.bystander, r.aggregate.empathy, r.aggregate.reward],
    })),
  };
}

function groupByCase(results: CandidateResult[]): CandidateResult[][] {
  const groups = new Map<string, CandidateResult[]>();
  for (const r of results) groups.set(r.caseId, [...(groups.get(r.caseId) ?? []), r]);
  return [...groups.values()];
}

const REPORT_CSS = `
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1d2326;background:#fbfaf7;line-height:1.5}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #c9c4b8;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}section{border:1px solid #c9c4b8;border-radius:6px;padding:.75rem;margin:1rem 0;background:#fff}
.reply{white-space:pre-wrap;background:#f1efe9;padding:.5rem;border-radius:6px}.failed{color:#a4161a}.muted{color:#4f5b60}
svg.chart{color:#1d2326}details{margin:.3rem 0}.legend dt{font-weight:600}.legend dd{margin:0 0 .3rem 1rem}
.flag{color:#a4161a;background:#fde8e7;border:1px solid #a4161a;border-radius:4px;padding:0 .3rem;white-space:nowrap}
@media (prefers-color-scheme: dark){.flag{color:#ff8a80;background:#3a1d1c;border-color:#ff8a80}body{background:#14191b;color:#e8eced}section{background:#1c2326;border-color:#46545a}.reply{background:#252e32}svg.chart{color:#e8eced}.muted{color:#a9b6ba}.failed{color:#ff8a80}}`;

/** The visible mark of a flagged reply beside its name, with the reason on hover. */
function flagMark(r: CandidateResult): string {
  const notice = injectionNotice(r.aggregate.injectionFlags);
  return notice ? ` <strong class="flag" title="${escapeHtml(notice.reason)}">${escapeHtml(notice.label)}</strong>` : '';
}

/** A figure's explanation as a tooltip attribute (escaped). */
const tip = (term: ScoreTerm) => ` title="${escapeHtml(termTooltip(term))}"`;

/** What every figure means, for readers of the report who never saw the app. */
function legendHtml(lambda: number): string {
  const items = LEGEND_ORDER.map((t) => `<dt>${escapeHtml(SCORE_TERMS[t].name)}</dt><dd>${escapeHtml(SCORE_TERMS[t].text)}</dd>`).join('');
  return `<details class="legend" open><summary>${escapeHtml(METHOD_SECTION)} (λ = ${lambda} here)</summary><dl>${items}</dl><p class="muted">The method at more length: Attune's README, section “${escapeHtml(METHOD_SECTION)}”.</p></details>`;
}

/** How the results were produced, for the top of the report: model, protocol and every setting. */
function runHeaderHtml(report: ResultsReport): string {
  const e = escapeHtml;
  if (!report.header) return `<p>Judged with λ = ${report.lambda}; the run's settings were not recorded with these results.</p>`;
  return `<table class="run-header"><caption>How these results were produced</caption><tbody>${runHeaderRows(report.header).map(([k, v]) => `<tr><th scope="row">${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</tbody></table>`;
}

/** A self-contained HTML page: inline CSS and SVG, no script, no external request; all text escaped. */
export function toHtml(report: ResultsReport): string {
  const e = escapeHtml;
  const s = report.summary;
  const out: string[] = [];
  out.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  // No network at all, even if someone adds a reference later: the page may only use itself.
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${e(report.title)}</title><style>${REPORT_CSS}</style></head><body>`);
  out.push(`<h1>${e(report.title)}</h1>`);
  out.push(`<p class="muted">Attune report, ${e(new Date(report.createdAt).toISOString())}.</p>`);
  out.push(runHeaderHtml(report));

  out.push('<h2>Summary</h2><table><tbody>');
  out.push(`<tr><th scope="row">Candidates</th><td class="num">${s.candidates}</td></tr>`);
  for (const d of DIMENSIONS) {
    const m = s.dimensionMeans[d];
    out.push(`<tr><th scope="row"${tip('judgeScore')}>Mean ${d} (1–5)</th><td class="num">${fmt(m.mean)}${m.nMissing ? ` (${m.nMissing} missing)` : ''}</td></tr>`);
  }
  out.push(`<tr><th scope="row"${tip('overall')}>Overall empathy score (reference)</th><td class="num">${fmt(s.overallEmpathy, 3)}</td></tr>`);
  out.push(`<tr><th scope="row"${tip('meanEmpathy')}>Mean empathy</th><td class="num">${fmt(s.meanEmpathy.mean, 3)}</td></tr>`);
  out.push(`<tr><th scope="row"${tip('reward')}>Mean reward</th><td class="num">${fmt(s.meanReward.mean, 3)}</td></tr>`);
  out.push(`<tr><th scope="row"${tip('failures')}>Failed judgments</th><td class="num">${s.failedJudgments} (${s.candidatesWithFailures} candidates affected)</td></tr>`);
  out.push(`<tr><th scope="row">Replies flagged as prompt injection</th><td class="num">${s.flaggedReplies ? `<strong class="flag">${s.flaggedReplies}</strong>` : '0'}</td></tr>`);
  if (report.agreement) {
    out.push(`<tr><th scope="row">Pairwise accuracy vs labels</th><td class="num">${fmt(report.agreement.pairwiseAccuracy, 3)} over ${report.agreement.pairs} pairs</td></tr>`);
    out.push(`<tr><th scope="row">Spearman vs labels</th><td class="num">${fmt(report.agreement.spearman, 3)} (n = ${report.agreement.n})</td></tr>`);
  }
  out.push('</tbody></table>');
  out.push(legendHtml(report.lambda));

  groupByCase(report.results).forEach((group, gi) => {
    const first = group[0];
    out.push(`<section><h2>${e(first.personName)} · ${e(first.category)}</h2>`);
    if (first.scenario) out.push(`<p><strong>Scenario:</strong> ${e(first.scenario)}</p>`);
    out.push(`<p><strong>Query:</strong> ${e(first.query)}</p>`);
    out.push(groupedBarsSvg(caseChart(group, `Scores for: ${first.query.slice(0, 60)}`), `case${gi}`));
    out.push(`<table><thead><tr><th scope="col">Candidate</th><th scope="col"${tip('resonation')}>Resonation</th><th scope="col"${tip('expression')}>Expression</th><th scope="col"${tip('reception')}>Reception</th><th scope="col"${tip('bystander')}>Bystander</th><th scope="col"${tip('empathy')}>Empathy</th><th scope="col"${tip('reward')}>Reward</th><th scope="col"${tip('failures')}>Failures</th></tr></thead><tbody>`);
    for (const r of group) {
      const a = r.aggregate;
      out.push(`<tr><th scope="row">${e(r.candidateName)}${flagMark(r)}</th>${DIMENSIONS.map((d) => `<td class="num">${fmt(a.dimensions[d].score)}</td>`).join('')}<td class="num">${fmt(a.bystander)}</td><td class="num">${fmt(a.empathy)}</td><td class="num">${fmt(a.reward)}</td><td class="num">${a.failures}</td></tr>`);
    }
    out.push('</tbody></table>');
    for (const r of group) {
      const notice = injectionNotice(r.aggregate.injectionFlags);
      out.push(`<details><summary>${e(r.candidateName)}${flagMark(r)}: reply and analyses</summary>`);
      if (notice) out.push(`<p class="flag">${e(notice.reason)}</p>`);
      out.push(`<div class="reply">${e(r.candidateText)}</div>`);
      for (const j of r.judgments) {
        const head = `${j.kind}${j.trial ? ` (trial ${j.trial + 1})` : ''}`;
        if (j.status === 'failed') {
          out.push(`<p class="failed"><strong>${e(head)}: failed</strong>: ${e(j.error ?? '')}</p><pre class="reply">${e(j.raw)}</pre>`);
        } else if (j.kind === 'bystander') {
          out.push(`<p><strong>${e(head)}</strong>: ${Object.entries(j.subscores ?? {}).map(([k, v]) => `${e(k)} ${v}`).join(', ')}</p>`);
        } else {
          out.push(`<p><strong>${e(head)}: ${fmt(j.score, 1)}/5</strong></p><p>${e(j.analysis ?? '')}</p>`);
          if (j.criteria?.length) out.push(`<ul>${j.criteria.map((c) => `<li>${e(c.name)} (${c.weight}%): ${e(c.description)}</li>`).join('')}</ul>`);
        }
      }
      out.push('</details>');
    }
    out.push('</section>');
  });
  out.push('</body></html>');
  return out.join('\n');
}
