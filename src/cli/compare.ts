// `attune compare`: two protocols over the same data with the same engine, each into its own
// results file (header first, resumable as `attune evaluate`'s), then how far they agree
// (src/method/compare-protocols.ts): per dimension and overall, Spearman correlation, agreement on
// the better candidate of each case, agreement with human labels, and what each run took.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareProtocols, formatComparison } from '../method/compare-protocols.ts';
import { PROTOCOL_NAMES, type ProtocolName } from '../method/protocols.ts';
import { runHeader } from '../method/run-header.ts';
import {
  dataHashes, judgeIntoFile, loadRunData, openResults, parseOrExit, parseRunArgs, profileItems, RUN_OPTIONS, settingsFor, UsageError, withEngine,
  type RunArgs,
} from './evaluate.ts';
import { JsonlEvaluationStore } from './jsonl-store.ts';

const help = `Usage: attune compare --protocols A,B --data FILE [--predictions FILE ...] --out DIR [engine options] [--json]

Runs two protocols (${PROTOCOL_NAMES.join(', ')}) over the same data with the same engine and
reports how far they agree: per dimension and overall (empathy), Spearman correlation between
their scores, the share of candidate pairs of a case they order alike, each one's agreement with
human labels where the data has them, and the time and tokens each took.

  --protocols A,B      the two protocols to compare, e.g. reference,fast
  --out DIR            results: DIR/<protocol>.jsonl for each (run header, then one line per
                       candidate), judgments cached in DIR/cache.jsonl; re-running resumes
  --json               print the comparison as JSON
  Data, engine and settings options are those of "attune evaluate" (see attune evaluate --help):
  --data, --predictions, --criteria, --engine, --base-url, --model, --api-key, --model-dir,
  --dtype, --judge-template, --missing-criteria, --mode, --k, --lambda, --temperature,
  --retries, --seed, --no-bystander, --one-call-per-trial, --concurrency, --context-window,
  --json-mode, --timeout-ms, --no-stream, --quiet. Settings given apply to both protocols.
Exit code: 0 when both runs finished, 1 on a data or server error, 2 on wrong usage, 130 when
interrupted (re-run to resume).
`;

interface Args extends RunArgs {
  protocols: [ProtocolName, ProtocolName];
  out: string;
  json: boolean;
}

function parse(argv: string[]): Args | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...RUN_OPTIONS, protocols: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (values.help) return 'help';
  const common = parseRunArgs(values, positionals);
  if (!values.protocols) throw new UsageError('--protocols A,B is required (e.g. reference,fast)');
  const names = values.protocols.split(',').map((n) => n.trim());
  const unknown = names.find((n) => !(PROTOCOL_NAMES as readonly string[]).includes(n));
  if (unknown !== undefined) throw new UsageError(`--protocols: "${unknown}" is not a protocol (${PROTOCOL_NAMES.join(', ')})`);
  if (names.length !== 2 || names[0] === names[1]) throw new UsageError(`--protocols expects two different protocols, got "${values.protocols}"`);
  if (!values.out) throw new UsageError('--out DIR is required');
  // Checked here, so that a setting one protocol cannot take stops before any work.
  for (const name of names) settingsFor(name as ProtocolName, common.overrides);
  return { ...common, protocols: names as [ProtocolName, ProtocolName], out: values.out, json: !!values.json };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseOrExit('compare', argv, parse, help);
  if (typeof a === 'number') return a;
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const loaded = await loadRunData(a, 'compare', err);
  if (typeof loaded === 'number') return loaded;
  mkdirSync(a.out, { recursive: true });
  return withEngine('compare', a, err, async (engine, signal) => {
    // One cache for both runs: memories and persona are shared, judgments only where every key field matches.
    const store = new JsonlEvaluationStore(join(a.out, 'cache.jsonl'));
    if (store.skippedLines) err(`note: ${store.skippedLines} unreadable lines in ${store.path} were skipped (that work is redone)`);
    const startedAt = new Date();
    const opened = a.protocols.map((protocol) => openResults(join(a.out, `${protocol}.jsonl`), false, runHeader({
      settings: settingsFor(protocol, a.overrides), engine: engine.info, judgeTemplate: loaded.judgeTemplate, startedAt, data: dataHashes(loaded),
    }), err));
    const items = await profileItems(engine, store, loaded, opened[0].header.settings.retries, signal, err);
    const runs = [];
    for (const o of opened) {
      if (!a.quiet) err(`Protocol ${o.header.protocol} → ${o.out}`);
      const judged = await judgeIntoFile(o, { engine, store, items, judgeTemplate: loaded.judgeTemplate, concurrency: a.concurrency, signal, quiet: a.quiet, err });
      if (judged.run.samplesFallback) err(`note (${o.header.protocol}): the server returned fewer samples than n asked for; the run went on with one request per trial`);
      runs.push({ protocol: o.header.protocol, results: judged.lines, ms: judged.ms, usage: judged.run.usage });
    }
    const comparison = compareProtocols(runs[0], runs[1]);
    process.stdout.write(a.json ? `${JSON.stringify({ ...comparison, results: opened.map((o) => o.out) }, null, 2)}\n` : formatComparison(comparison));
    return 0;
  });
}
