// A dependency-free grouped bar chart as an SVG string: one group per measure, one bar per
// candidate. The same markup serves the app and the offline HTML report. Every label is
// escaped; the <title>/<desc> give screen readers a text version of all the numbers.
import { escapeHtml } from '../lib/escape.ts';

export interface ChartSeries {
  name: string;
  /** One value per group, in the order of `groups`; null where there is no value (a failure). */
  values: (number | null)[];
  /** The reply tried to instruct the judge: marked in the legend, the bars' titles and the description. */
  flagged?: boolean;
}

export interface ChartData {
  title: string;
  groups: string[];
  series: ChartSeries[];
}

const COLORS = ['var(--series-1, #205a60)', 'var(--series-2, #b3461b)', 'var(--series-3, #6a4c93)', 'var(--series-4, #8a6d00)'];
const PATTERN_OPACITY = [1, 0.85, 0.7, 0.55];

const fmt = (v: number | null) => (v === null ? 'no value' : v.toFixed(2));
const FLAG_MARK = '⚠';
/** A series' name as the chart shows it: flagged ones carry the warning sign and say why. */
const seriesName = (s: ChartSeries) => (s.flagged ? `${s.name} (${FLAG_MARK} prompt injection)` : s.name);

export function chartDescription(data: ChartData): string {
  return data.series
    .map((s) => `${seriesName(s)}: ${data.groups.map((g, i) => `${g} ${fmt(s.values[i])}`).join(', ')}`)
    .join('. ');
}

const LEGEND_ROW = 18;
/** A generous width of one 12 px character, so estimated label widths never fall short. */
const CHAR_WIDTH = 7.5;
const LEGEND_NAME_MAX = 24;

interface LegendItem { series: ChartSeries; index: number; label: string; x: number; row: number; width: number }

/** Places each series' swatch and name left to right, wrapping to a new row before one would pass `right`. */
export function legendLayout(series: ChartSeries[], left: number, right: number): { items: LegendItem[]; rows: number } {
  const items: LegendItem[] = [];
  let x = left;
  let row = 0;
  series.forEach((s, index) => {
    const label = s.name.length > LEGEND_NAME_MAX ? `${s.name.slice(0, LEGEND_NAME_MAX - 1)}…` : s.name;
    const width = 16 + (label.length + (s.flagged ? 2 : 0)) * CHAR_WIDTH + 14;
    if (x + width > right && x > left) {
      row++;
      x = left;
    }
    items.push({ series: s, index, label, x, row, width });
    x += width;
  });
  return { items, rows: row + 1 };
}

export function groupedBarsSvg(data: ChartData, idPrefix = 'chart'): string {
  const width = 640;
  const pad = { top: 16, right: 12, bottom: 56, left: 40 };
  // The legend wraps onto as many rows as its names need, each row making the chart taller.
  const legend = legendLayout(data.series, pad.left, width - pad.right);
  const extra = (legend.rows - 1) * LEGEND_ROW;
  const height = 280 + extra;
  pad.bottom += extra;
  const all = data.series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  const min = Math.min(0, ...all);
  const max = Math.max(1, ...all);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const y = (v: number) => pad.top + ((max - v) / (max - min)) * plotH;
  const groupW = plotW / Math.max(1, data.groups.length);
  const barW = Math.max(4, (groupW * 0.8) / Math.max(1, data.series.length));
  const titleId = `${idPrefix}-title`;
  const descId = `${idPrefix}-desc`;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${titleId} ${descId}" class="chart" style="max-width:100%;height:auto">`);
  parts.push(`<title id="${titleId}">${escapeHtml(data.title)}</title>`);
  parts.push(`<desc id="${descId}">${escapeHtml(chartDescription(data))}</desc>`);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const ty = y(tick).toFixed(1);
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${ty}" y2="${ty}" stroke="currentColor" stroke-opacity="0.2"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="currentColor">${tick}</text>`);
  }
  if (min < 0) {
    const zy = y(0).toFixed(1);
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${zy}" y2="${zy}" stroke="currentColor"/>`);
  }
  data.groups.forEach((group, gi) => {
    const gx = pad.left + gi * groupW + groupW * 0.1;
    data.series.forEach((s, si) => {
      const v = s.values[gi];
      const x = (gx + si * barW).toFixed(1);
      if (v === null) {
        parts.push(`<text x="${(gx + si * barW + barW / 2).toFixed(1)}" y="${y(0) - 4}" text-anchor="middle" font-size="10" fill="currentColor">×</text>`);
        return;
      }
      const top = y(Math.max(v, 0));
      const h = Math.abs(y(v) - y(0));
      parts.push(`<rect x="${x}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${Math.max(h, 1).toFixed(1)}" fill="${COLORS[si % COLORS.length]}" fill-opacity="${PATTERN_OPACITY[Math.floor(si / COLORS.length) % PATTERN_OPACITY.length]}"><title>${escapeHtml(`${seriesName(s)}, ${group}: ${fmt(v)}`)}</title></rect>`);
    });
    parts.push(`<text x="${(pad.left + gi * groupW + groupW / 2).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="12" fill="currentColor">${escapeHtml(group)}</text>`);
  });
  for (const item of legend.items) {
    const { series: s, index: si, x: lx, row } = item;
    const ly = height - 16 - (legend.rows - 1 - row) * LEGEND_ROW;
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}" fill-opacity="${PATTERN_OPACITY[Math.floor(si / COLORS.length) % PATTERN_OPACITY.length]}"/>`);
    parts.push(`<text x="${lx + 16}" y="${ly}" font-size="12" fill="currentColor">${s.flagged ? `<tspan fill="var(--danger, #a4161a)" font-weight="700">${FLAG_MARK} </tspan>` : ''}${escapeHtml(item.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
