import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Papa from 'papaparse';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

async function download(page: Page, label: string): Promise<{ path: string; name: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label, exact: true }).click()]);
  const path = test.info().outputPath(file.suggestedFilename());
  await file.saveAs(path);
  return { path, name: file.suggestedFilename() };
}

test('exports download and parse back; the HTML report works from disk with the network blocked', async ({ page, browser }) => {
  await openWithScriptedEngine(page);
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await page.getByRole('combobox', { name: 'Person' }).selectOption({ label: 'Maya Okafor (demo)' });
  const query = page.getByRole('combobox', { name: 'Query' });
  await query.selectOption((await query.locator('option', { hasText: "Mum's biopsy" }).getAttribute('value'))!);
  await expect(page.locator('strong', { hasText: "Mum's biopsy needs a follow-up scan" })).toBeVisible();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status')).toHaveText('Done.', { timeout: 60_000 });
  const shownRewards = await page.locator('table.results-table tbody tr td:nth-child(7)').allInnerTexts();

  const csv = await download(page, 'Export CSV');
  expect(csv.name).toBe('attune-evaluate.csv');
  const parsed = Papa.parse<Record<string, string>>(readFileSync(csv.path, 'utf8').replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  expect(parsed.data).toHaveLength(3);
  expect(parsed.data.map((r) => Number(r.reward).toFixed(2)).sort()).toEqual([...shownRewards].sort());

  const jsonl = await download(page, 'Export JSONL');
  // The run header first (how these were judged), then one line per candidate, as the CLI writes.
  const [header, ...lines] = readFileSync(jsonl.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(header).toMatchObject({ type: 'attune-run', protocol: 'default', engine: { model: 'scripted-judge' } });
  expect(lines).toHaveLength(3);
  for (const l of lines) {
    expect(Object.keys(l.scores).sort()).toEqual(['expression', 'reception', 'resonation']);
    expect(l.scores.resonation.trials).toHaveLength(header.settings.k);
    expect(l.bystander.status).toBe('ok');
    expect(l.criteria.expression.items.length).toBeGreaterThanOrEqual(4);
  }

  const json = JSON.parse(readFileSync((await download(page, 'Export JSON')).path, 'utf8'));
  expect(json.results).toHaveLength(3);
  expect(json.summary.candidates).toBe(3);

  const html = await download(page, 'Export HTML report');
  // Open the report from disk in a fresh context that refuses every network request.
  const offline = await browser.newContext({ offline: true });
  const requests: string[] = [];
  await offline.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  const report = await offline.newPage();
  const pageErrors: string[] = [];
  report.on('pageerror', (e) => pageErrors.push(e.message));
  await report.goto(pathToFileURL(html.path).href);
  await expect(report.getByRole('heading', { level: 1 })).toContainText('Maya Okafor');
  await expect(report.locator('svg.chart')).toBeVisible();
  await expect(report.locator('svg.chart rect title')).toHaveCount(3 * 6);
  await expect(report.getByRole('rowheader', { name: 'Overall empathy score (reference)' })).toBeVisible();
  // The report explains its figures where it stands, for readers who never saw the app.
  await expect(report.getByRole('term').filter({ hasText: 'Mean empathy' })).toBeVisible();
  await expect(report.getByRole('table', { name: 'How these results were produced' })).toContainText('default');
  const personalized = report.locator('details', { hasText: 'personalized: reply and analyses' });
  await personalized.locator('summary').click();
  await expect(personalized.getByText(/resonation: \d\.\d\/5/)).toBeVisible();
  await report.screenshot({ path: 'test-results/screenshots/html-report.png', fullPage: true });
  expect(requests).toEqual([]);
  expect(pageErrors).toEqual([]);
  await offline.close();
});
