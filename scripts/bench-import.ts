// `npm run bench:import`: writes a synthetic ChatGPT export of about 100 MB (thousands of
// conversations with edited and regenerated branches) to a temp dir, then measures parse + store
// two ways and prints one JSON object:
//  - node: in a fresh child process (so generating the file does not count), src/import's parser
//    and AttuneDB.applyImport on fake-indexeddb (much slower than a browser's IndexedDB);
//  - browser: the product's own path in headless Chromium against a production build served by
//    scripts/serve.js on 127.0.0.1: the file is chosen on the Library screen (parsed in the import
//    worker), then "Import" writes it to real IndexedDB; memory is the Chromium processes' summed
//    PSS (and RSS), sampled from /proc.
// Options: --mb N (size, default 100), --zip (measure the export as a downloaded .zip),
// --csv ROWS (measure a CSV of that many cases instead of a ChatGPT export),
// --keep (leave the file), --no-store (parse only, node mode), --mode node|browser|both (default
// both), --dist DIR (an existing production build; default: build into a temp dir),
// --port N (default $E2E_PORT or 4191).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };

if (args[0] === '--measure') {
  await measure(args[1], Number(args[2]), !args.includes('--no-store'));
} else {
  const targetMb = Number(option('--mb') ?? 100);
  const csvRows = option('--csv') === undefined ? null : Number(option('--csv'));
  const dir = mkdtempSync(join(tmpdir(), 'attune-bench-'));
  const file = join(dir, csvRows === null ? 'conversations.json' : 'cases.csv');
  const generated = csvRows === null ? generate(file, targetMb * 1024 * 1024) : generateCsv(file, csvRows);
  let measured = file;
  const jsonBytes = statSync(file).size;
  if (args.includes('--zip')) {
    measured = join(dir, 'chatgpt-export.zip');
    writeFileSync(measured, zipSync({ 'conversations.json': readFileSync(file), 'user.json': strToU8('{"id":"user-bench"}') }));
    rmSync(file);
  }
  const mode = option('--mode') ?? 'both';
  if (!['node', 'browser', 'both'].includes(mode)) throw new Error(`--mode must be node, browser or both, not "${mode}"`);
  const child = mode === 'browser' ? null : spawnSync(process.execPath, [
    ...process.execArgv, fileURLToPath(import.meta.url), '--measure', measured, String(jsonBytes),
    ...(args.includes('--no-store') ? ['--no-store'] : []),
  ], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child && child.status !== 0) {
    process.stderr.write(child.stderr);
    process.exit(child.status ?? 1);
  }
  const node = child ? JSON.parse(child.stdout) : undefined;
  const { measureInBrowser } = await import('./bench-import-browser.ts');
  const browser = mode === 'node' ? undefined
    : await measureInBrowser(measured, jsonBytes, { dist: option('--dist'), port: Number(option('--port') ?? process.env.E2E_PORT ?? 4191) });
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({
    node,
    browser,
    targets: { seconds: 10, peakOverFileSize: 3 },
    generated: { ...generated, file: args.includes('--keep') ? measured : undefined },
  }, null, 2)}\n`);
}

/** Deterministic pseudo-random numbers, so every run benchmarks the same file. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function generate(file: string, targetBytes: number) {
  const random = rng(42);
  const words = ('I feel like my sister never listens when I talk about work and it makes me anxious before ' +
    'every family dinner because we used to be close after Mom got sick so maybe the problem is me café naïve ' +
    'résumé über déjà vu 😊 honestly tired but hopeful about the interview next week what should I say').split(' ');
  const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(' ');
  const fd = openSync(file, 'w');
  let written = 0;
  const write = (s: string) => { written += writeSync(fd, s); };
  let conversations = 0;
  let nodes = 0;
  let branches = 0;
  write('[');
  while (written < targetBytes) {
    const mapping: Record<string, unknown> = {};
    const t0 = 1.6e9 + conversations * 3600;
    const node = (id: string, parent: string | null, role: string | null, text: string, time: number) => {
      nodes++;
      mapping[id] = {
        id,
        message: role === null ? null : {
          id, author: { role, name: null, metadata: {} }, create_time: time, update_time: null,
          content: { content_type: 'text', parts: [text] }, status: 'finished_successfully', end_turn: role === 'assistant',
          weight: 1, metadata: role === 'assistant' ? { model_slug: 'gpt-4o', finish_details: { type: 'stop' } } : { request_id: `r${nodes}` },
          recipient: 'all', channel: null,
        },
        parent, children: [] as string[],
      };
      if (parent) ((mapping[parent] as { children: string[] }).children).push(id);
    };
    const c = conversations;
    node(`c${c}-root`, null, null, '', t0);
    let parent = `c${c}-root`;
    const turns = 6 + Math.floor(random() * 12);
    for (let t = 0; t < turns; t++) {
      const role = t % 2 === 0 ? 'user' : 'assistant';
      const length = role === 'user' ? 20 + Math.floor(random() * 60) : 60 + Math.floor(random() * 250);
      if (random() < 0.2) { // an edit (user) or a regeneration (assistant): an abandoned sibling
        node(`c${c}-n${t}-alt`, parent, role, sentence(length), t0 + t * 30);
        branches++;
      }
      node(`c${c}-n${t}`, parent, role, sentence(length), t0 + t * 30 + 5);
      parent = `c${c}-n${t}`;
    }
    const conv = {
      title: sentence(4), create_time: t0, update_time: t0 + turns * 30, mapping, moderation_results: [],
      current_node: parent, plugin_ids: null, conversation_id: `conv-${c}`, conversation_template_id: null,
      gizmo_id: null, is_archived: false, safe_urls: [], default_model_slug: 'gpt-4o', id: `conv-${c}`,
    };
    write((conversations > 0 ? ',\n' : '\n') + JSON.stringify(conv));
    conversations++;
  }
  write('\n]\n');
  closeSync(fd);
  return { jsonMb: Math.round(written / 1024 ** 2 * 100) / 100, conversations, nodes, abandonedBranches: branches };
}

/** A CSV of cases with `rows` distinct queries (each row: a case and a candidate). */
function generateCsv(file: string, rows: number) {
  const fd = openSync(file, 'w');
  let written = writeSync(fd, 'query,response,label\n');
  for (let i = 0; i < rows; i += 10_000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(rows, i + 10_000); j++) {
      lines.push(`"I feel left out at work, week ${j}",That sounds lonely; what happened this week?,${j % 2}\n`);
    }
    written += writeSync(fd, lines.join(''));
  }
  closeSync(fd);
  return { csvMb: Math.round(written / 1024 ** 2 * 100) / 100, rows };
}

/** Sizes and ratios refer to the export's conversations.json, also when a .zip is measured. */
async function measure(file: string, jsonBytes: number, store: boolean) {
  const { parseFiles } = await import('../src/import/index.ts');
  const baselineRss = process.memoryUsage().rss;
  const size = statSync(file).size;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes: Uint8Array | null = readFileSync(file); // a Buffer is a Uint8Array: no copy
  const { bundles, issues } = await parseFiles([{ name: basename(file), bytes }]);
  const t1 = performance.now();
  const parsePeakRssMb = process.resourceUsage().maxRSS / 1024;
  // CPU time of this process: comparable across runs even when other work shares the cores.
  const parseCpu = process.cpuUsage(cpu0);
  bytes = null; // as in the app: the file's bytes are dropped once parsed
  if (issues.length > 0) throw new Error(`benchmark file did not parse: ${JSON.stringify(issues)}`);
  let storeSeconds: number | null = null;
  let added: unknown = null;
  if (store) {
    const fake = await import('fake-indexeddb');
    Object.assign(globalThis, { indexedDB: fake.indexedDB, IDBKeyRange: fake.IDBKeyRange });
    const { AttuneDB } = await import('../src/store/db.ts');
    const db = new AttuneDB('attune-bench');
    added = await db.applyImport(bundles);
    storeSeconds = (performance.now() - t1) / 1000;
    db.close();
  }
  const parseSeconds = (t1 - t0) / 1000;
  const seconds = parseSeconds + (storeSeconds ?? 0);
  const mb = jsonBytes / 1024 ** 2;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({
    file: basename(file), mb: round(mb), fileMb: round(size / 1024 ** 2), seconds: round(seconds), mbPerSecond: round(mb / seconds),
    parseSeconds: round(parseSeconds), parseMbPerSecond: round(mb / parseSeconds),
    parseCpuSeconds: round((parseCpu.user + parseCpu.system) / 1e6),
    storeSeconds: storeSeconds === null ? null : round(storeSeconds),
    store: store ? 'Node: AttuneDB.applyImport on fake-indexeddb (not what the app uses; see browser)' : 'skipped (--no-store)',
    peakRssMb: round(peakRssMb), baselineRssMb: round(baselineRss / 1024 ** 2),
    peakRssOverFileSize: round(peakRssMb / mb),
    parsePeakRssMb: round(parsePeakRssMb),
    parsePeakRssOverFileSize: round(parsePeakRssMb / mb),
    parsePeakAboveBaselineOverFileSize: round((parsePeakRssMb - baselineRss / 1024 ** 2) / mb),
    records: { conversations: bundles[0].conversations.length, messages: bundles[0].messages.length },
    added,
    targets: { seconds: 10, peakRssOverFileSize: 3 },
    node: process.version,
  }));
}

function round(x: number) {
  return Math.round(x * 100) / 100;
}
