// Browser mode of `npm run bench:import`: the product's import path in headless Chromium, with
// real IndexedDB, against a production build served by scripts/serve.js on 127.0.0.1.
// The file is chosen on the Library screen (parsed in workers/import.worker.ts, which sends back
// only the preview), then "Import" has that worker parse it again and write the records in
// journalled chunks (AttuneDB.beginImport). Both phases are timed in the page,
// from the input's change event / the button's click to the moment the preview / the "Added …"
// status is in the DOM. Memory: the summed PSS (and RSS, which counts shared pages once per
// process) of every Chromium process, read from /proc every 100 ms.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';

const MB = 1024 ** 2;
const round = (x: number) => Math.round(x * 100) / 100;

/** Chromium processes below `root` (the browser and its renderers, GPU, network, utility). */
function chromiumPids(root: number): number[] {
  const parent = new Map<number, number>();
  const isChromium = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('chrom')) isChromium.add(Number(entry));
    } catch { /* the process ended while being read */ }
  }
  const below = (pid: number) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  return [...isChromium].filter(below);
}

/**
 * Summed PSS and RSS of the given processes, and the anonymous part of PSS (heaps, buffers): the
 * rest is mostly the Chromium binary's code pages, whose PSS share moves as other Chromium
 * processes on the machine start and stop.
 */
function memoryOf(pids: number[]): { pss: number; anon: number; rss: number; processes: number; pssByKind: Record<string, number> } {
  let pss = 0, anon = 0, rss = 0, processes = 0;
  const pssByKind: Record<string, number> = {};
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const own = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      const kind = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
      pssByKind[kind] = (pssByKind[kind] ?? 0) + own;
      pss += own;
      anon += Number(/^Pss_Anon:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      processes++;
    } catch { /* ended */ }
  }
  return { pss, anon, rss, processes, pssByKind };
}

/**
 * CPU seconds (user + system) the given processes have used so far, in all and by process kind
 * (browser, renderer, utility: IndexedDB's backend runs in the browser process, the page and
 * its workers in a renderer); /proc counts in 1/100 s.
 */
function cpuSecondsOf(pids: number[]): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15)
      const kind = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
      byKind[kind] = (byKind[kind] ?? 0) + seconds;
      total += seconds;
    } catch { /* ended */ }
  }
  return { total, byKind };
}

function cpuBetween(from: ReturnType<typeof cpuSecondsOf>, to: ReturnType<typeof cpuSecondsOf>) {
  const byKind = Object.fromEntries(Object.entries(to.byKind).map(([k, v]) => [k, round(v - (from.byKind[k] ?? 0))]));
  return { seconds: round(to.total - from.total), byKind };
}

/** Samples every 100 ms (the process list every second), so the sampler barely competes for CPU. */
function sampler() {
  let pids = chromiumPids(process.pid);
  let peak = { pss: 0, anon: 0, rss: 0, processes: 0, pssByKind: {} as Record<string, number> };
  let ticks = 0;
  const sample = () => {
    if (++ticks % 10 === 0) pids = chromiumPids(process.pid);
    const m = memoryOf(pids);
    peak = {
      pss: Math.max(m.pss, peak.pss), anon: Math.max(m.anon, peak.anon), rss: Math.max(m.rss, peak.rss), processes: Math.max(m.processes, peak.processes),
      // Where the memory was at the peak sample.
      pssByKind: m.pss >= peak.pss ? m.pssByKind : peak.pssByKind,
    };
    return m;
  };
  const timer = setInterval(sample, 100);
  return {
    sample() { pids = chromiumPids(process.pid); return sample(); },
    reset() { peak = this.sample(); },
    peak: () => ({ ...peak }),
    stop: () => clearInterval(timer),
  };
}

async function startServer(dist: string, port: number): Promise<ChildProcess> {
  const server = spawn(process.execPath, ['scripts/serve.js', '--port', String(port), '--mount', `/=${dist}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('running at')) resolve(); });
    server.on('exit', (code) => reject(new Error(`scripts/serve.js exited (${code}); is port ${port} free?`)));
  });
  return server;
}

export async function measureInBrowser(file: string, jsonBytes: number, options: { dist?: string; port: number }) {
  const builtDir = options.dist ? null : mkdtempSync(join(tmpdir(), 'attune-bench-dist-'));
  const dist = options.dist ?? builtDir!;
  if (builtDir) execFileSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', builtDir, '--emptyOutDir'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const server = await startServer(dist, options.port);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const memory = sampler();
  try {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await page.goto(`http://127.0.0.1:${options.port}/#/library`);
    await page.getByRole('heading', { name: 'Library', level: 2 }).waitFor();
    // Marks when the file is chosen, the preview shows, Import is clicked and its status shows.
    await page.evaluate(() => {
      const marks: Record<string, number> = {};
      (window as unknown as { __benchMarks: Record<string, number> }).__benchMarks = marks;
      document.addEventListener('change', () => { marks.chosen ??= performance.now(); }, true);
      document.addEventListener('click', (e) => {
        if ((e.target as HTMLElement).closest('button')?.textContent?.trim() === 'Import') marks.importClicked ??= performance.now();
      }, true);
      new MutationObserver(() => {
        if (!marks.previewShown && document.querySelector('[aria-labelledby="preview-title"]')) marks.previewShown = performance.now();
        const status = [...document.querySelectorAll('[role="status"],[role="alert"]')].map((e) => e.textContent ?? '').join(' ');
        if (!marks.addedShown && /Added |Nothing new/.test(status)) marks.addedShown = performance.now();
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await new Promise((r) => setTimeout(r, 300));
    const baseline = memory.sample();
    memory.reset();
    const cpuAtStart = cpuSecondsOf(chromiumPids(process.pid));

    await page.getByLabel('Choose files to import').setInputFiles(file);
    const previewRegion = page.getByRole('region', { name: /Preview/ });
    await Promise.race([
      previewRegion.waitFor({ timeout: 300_000 }),
      page.getByRole('alert').waitFor({ timeout: 300_000 }).then(async () => { throw new Error(`import failed: ${await page.getByRole('alert').textContent()}`); }),
    ]);
    const parsePeak = memory.peak();
    const cpuAfterParse = cpuSecondsOf(chromiumPids(process.pid));
    await previewRegion.getByRole('button', { name: 'Import' }).click();
    const added = page.getByRole('status').filter({ hasText: /Added |Nothing new/ });
    await added.waitFor({ timeout: 600_000 });
    const addedText = await added.textContent();
    const peak = memory.peak();
    const cpuAtEnd = cpuSecondsOf(chromiumPids(process.pid));
    const marks = await page.evaluate(() => (window as unknown as { __benchMarks: Record<string, number> }).__benchMarks);
    const parseSeconds = (marks.previewShown - marks.chosen) / 1000;
    const storeSeconds = (marks.addedShown - marks.importClicked) / 1000;
    const mb = jsonBytes / MB;
    return {
      store: 'Chromium: Library screen → import worker (parses for the preview; on Import parses again and writes in journalled chunks) → real IndexedDB',
      chromium: browser.version(),
      file: file.split('/').pop(),
      mb: round(mb),
      fileMb: round(statSync(file).size / MB),
      seconds: round(parseSeconds + storeSeconds),
      parseSeconds: round(parseSeconds),
      parsePhase: 'change event → preview in the DOM: the worker scans the file in pieces (FileReaderSync) and parses it, counting records; preview summary sent back and rendered',
      storeSeconds: round(storeSeconds),
      storePhase: 'Import click → "Added …" status in the DOM: the worker parses the files again (reusing the scan) and writes each chunk as it comes (journalled transactions, messages in per-conversation chunks, committed at the end)',
      // CPU time of every Chromium process: comparable across runs when other work shares the
      // cores (wall seconds are not: on a busy machine they measure the neighbours too).
      cpuSeconds: round(cpuAtEnd.total - cpuAtStart.total),
      parseCpu: cpuBetween(cpuAtStart, cpuAfterParse),
      storeCpu: cpuBetween(cpuAfterParse, cpuAtEnd),
      loadAverage1m: round(loadavg()[0]),
      memory: 'sum over Chromium processes from /proc/<pid>/smaps_rollup, sampled every 100 ms (peak PSS, its anonymous part Pss_Anon, and peak RSS sum are each the maximum over samples)',
      baselinePssMb: round(baseline.pss / MB),
      peakPssMb: round(peak.pss / MB),
      peakPssOverFileSize: round(peak.pss / MB / mb),
      peakPssAboveBaselineOverFileSize: round((peak.pss - baseline.pss) / MB / mb),
      peakAnonPssAboveBaselineOverFileSize: round((peak.anon - baseline.anon) / MB / mb),
      parsePeakPssMb: round(parsePeak.pss / MB),
      peakPssMbByKind: Object.fromEntries(Object.entries(peak.pssByKind).map(([k, v]) => [k, round(v / MB)])),
      baselinePssMbByKind: Object.fromEntries(Object.entries(baseline.pssByKind).map(([k, v]) => [k, round(v / MB)])),
      peakRssSumMb: round(peak.rss / MB),
      processes: peak.processes,
      added: addedText?.trim(),
      consoleErrors,
    };
  } finally {
    memory.stop();
    await browser.close();
    server.kill();
    if (builtDir) rmSync(builtDir, { recursive: true, force: true });
  }
}
