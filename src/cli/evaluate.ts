// `attune evaluate`: the PereGRM method over a data set, headless, with the same code as the
// app, under a named protocol. Writes the run header and then one JSON line per candidate to
// --out; resumes when re-run with the same --out and an identical header (written candidates
// are skipped; judgments cached in --out's .cache.jsonl are reused), refuses to mix runs, and
// prints the reference's summary figures, per system, with failures counted.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DIMENSIONS, type Candidate, type Case, type Conversation, type Dimension, type Memory, type Message, type Person, type Persona } from '../domain/records.ts';
import { headerDifferences, RunHeader, type EvaluationSettings } from '../domain/settings.ts';
import { fileStem } from '../import/common.ts';
import { sha256Bytes } from '../import/ids.ts';
import type { ImportBundle } from '../domain/bundle.ts';
import { parseFiles } from '../import/index.ts';
import type { JsonMode } from '../llm/openai.ts';
import { EngineError } from '../llm/errors.ts';
import type { Engine } from '../llm/engine.ts';
import { createEngine, type EngineChoice } from '../llm/registry.ts';
import { MethodError } from '../method/errors.ts';
import {
  labelAgreement, summarize, summarizeBySystem, type DatasetSummary, type LabelAgreement, type MeanWithCounts,
} from '../method/aggregate.ts';
import { runEvaluation, RunSetupError, type CandidateResult, type EvaluationItem } from '../method/pipeline.ts';
import { DEFAULT_PROTOCOL, PROTOCOL_NAMES, PROTOCOLS, protocolSettings } from '../method/protocols.ts';
import { runHeader } from '../method/run-header.ts';
import { parseJudgeTemplate, TemplateError, type JudgeTemplate } from '../method/template.ts';
import { profilePerson } from '../method/profile.ts';
import { latestPersona } from '../method/store.ts';
import { resultLine, type ResultLine } from '../method/result-line.ts';
import { JsonlEvaluationStore } from './jsonl-store.ts';

const help = `Usage: attune evaluate --data FILE [--predictions FILE ...] --engine openai --base-url URL --model NAME --out results.jsonl [options]
       attune evaluate --data FILE [--predictions FILE ...] --engine transformers --model-dir DIR --out results.jsonl [options]

Judges every candidate reply in the data (PersonaEmp sessions + predictions + criteria, or any
format "attune import" reads) under a named protocol, and writes the run header then one JSON
line per candidate to --out. Re-running with the same --out and the same settings resumes; a
run with other settings is refused (use --new-run).

  --data FILE          data set: sessions, a criteria file, any importable file (repeatable)
  --predictions FILE   PersonaEmp predictions, one file per system (repeatable)
  --criteria FILE      the criteria file of prepare_criteria.py, attached to the cases of --data
                       by session_id / query_id (repeatable; --data FILE reads it as well)
  --protocol NAME      ${PROTOCOL_NAMES.join(', ')} (default ${DEFAULT_PROTOCOL}):
${PROTOCOL_NAMES.map((n) => `                         ${n}: ${PROTOCOLS[n].summary}`).join('\n')}
  --engine openai|transformers   an OpenAI-compatible server (llama.cpp, vLLM, Ollama, ...), or
                       a local ONNX model run in this process with Transformers.js (default openai)
  --base-url URL       openai: e.g. http://127.0.0.1:8080/v1
  --model NAME         openai: model name sent to the server
  --api-key KEY        openai: or set OPENAI_API_KEY
  --model-dir DIR      transformers: a model folder (config.json, tokenizer files, onnx/model*.onnx)
  --dtype fp32|fp16|q8|q4|q4f16  transformers: which onnx/ weights to load (default: the first of
                       q8, fp32, q4, fp16, q4f16 that the folder holds)
  --out FILE           results: the run header, then one JSON line per candidate; judgments are
                       cached in FILE.cache.jsonl and reused only where every setting that can
                       change an answer is equal
  --new-run            --out holds another run: write this one to a new file beside it
  --format jsonl|reference   reference: also write <predictions>_fix_criteria_res.json per
                       predictions file, in eval.py's shape (default jsonl)
  --judge-template FILE      judge prompt with placeholders {dimension} {criteria} {memories}
                       {scenario} {persona} {query} {response} ({{ }} for literal braces)
  --missing-criteria derive|stop   a case without criteria of its own, under a protocol that
                       quotes the data set's: derive them once, or stop (the protocol's default)
  Settings over the protocol's (each one is recorded in the run header):
  --mode fixed|dynamic|logprob
  --k N                trials per dimension
  --lambda X           bystander weight in the reward
  --temperature X      judge sampling temperature
  --retries N          extra attempts after an unparseable answer
  --seed N             base seed
  --no-bystander       no bystander check (reward = empathy)
  --one-call-per-trial send each trial alone instead of k samples in one request (n = k)
  --concurrency N      candidates judged at once (default 1)
  --context-window N   openai: override the model's context window (default: from the server, else 4096)
  --json-mode auto|json_schema|json_object|off   openai: constrained output (default auto)
  --timeout-ms N       openai: per request (default 120000)
  --no-stream          openai: ask for whole answers instead of streamed ones
  --quiet              no progress lines
Exit code: 0 when the run finished (failures are counted in the summary), 1 on a data or
server error, 2 on wrong usage or a results file of another run, 130 when interrupted (re-run
to resume).
`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects an integer ≥ ${min}, got "${value}"`);
  return n;
}

function number(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} expects a number ≥ ${min}, got "${value}"`);
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

interface Args {
  data: string[];
  predictions: string[];
  criteria: string[];
  /** What the engine registry makes, and the model that engine loads. */
  engine: EngineChoice;
  model: string;
  out: string;
  newRun: boolean;
  format: 'jsonl' | 'reference';
  judgeTemplate?: string;
  settings: EvaluationSettings;
  concurrency: number;
  quiet: boolean;
}

const DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
type Dtype = (typeof DTYPES)[number];
// Transformers.js's file name for each dtype, in the order one is picked when --dtype is not given.
const ONNX_FILES: [Dtype, string][] = [['q8', 'model_quantized.onnx'], ['fp32', 'model.onnx'], ['q4', 'model_q4.onnx'], ['fp16', 'model_fp16.onnx'], ['q4f16', 'model_q4f16.onnx']];

/** A local model folder for Transformers.js: where it is, its name, and which weights to load. */
function transformersChoice(dir: string, dtypeOption: string | undefined): { engine: EngineChoice; model: string } {
  const folder = resolve(dir);
  if (!existsSync(join(folder, 'config.json'))) throw new UsageError(`--model-dir ${dir}: no config.json there; expected a Transformers.js model folder (config.json, tokenizer.json, onnx/model*.onnx)`);
  const present = ONNX_FILES.filter(([, file]) => existsSync(join(folder, 'onnx', file)));
  if (dtypeOption !== undefined && !(DTYPES as readonly string[]).includes(dtypeOption)) throw new UsageError(`--dtype must be ${DTYPES.join(', ')}, got "${dtypeOption}"`);
  const wanted = present.find(([d]) => dtypeOption === undefined || d === dtypeOption);
  if (!wanted) {
    const expected = dtypeOption === undefined ? ONNX_FILES.map(([, f]) => f).join(', ') : ONNX_FILES.find(([d]) => d === dtypeOption)![1];
    throw new UsageError(`--model-dir ${dir}: no ${expected} in ${join(folder, 'onnx')}`);
  }
  return { engine: { kind: 'transformers', localModelPath: `${dirname(folder)}/`, allowRemoteModels: false, dtype: wanted[0], inWorker: false }, model: basename(folder) };
}

function parse(argv: string[]): Args | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string', multiple: true }, predictions: { type: 'string', multiple: true }, criteria: { type: 'string', multiple: true }, engine: { type: 'string' },
      'base-url': { type: 'string' }, model: { type: 'string' }, 'api-key': { type: 'string' }, out: { type: 'string' },
      'model-dir': { type: 'string' }, dtype: { type: 'string' },
      protocol: { type: 'string' }, 'new-run': { type: 'boolean' }, format: { type: 'string' }, 'judge-template': { type: 'string' },
      'missing-criteria': { type: 'string' }, temperature: { type: 'string' }, 'no-bystander': { type: 'boolean' },
      mode: { type: 'string' }, k: { type: 'string' }, lambda: { type: 'string' }, concurrency: { type: 'string' },
      retries: { type: 'string' }, seed: { type: 'string' }, 'context-window': { type: 'string' }, 'json-mode': { type: 'string' },
      'timeout-ms': { type: 'string' }, 'no-stream': { type: 'boolean' }, 'one-call-per-trial': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (files go after --data)`);
  if (!values.data?.length) throw new UsageError('--data FILE is required');
  if (!values.out) throw new UsageError('--out FILE is required');
  const engine = values.engine ?? 'openai';
  if (engine !== 'openai' && engine !== 'transformers') throw new UsageError(`--engine must be openai or transformers, got "${engine}" (WebLLM needs a browser: use the app)`);
  let chosen: { engine: EngineChoice; model: string };
  if (engine === 'transformers') {
    if (!values['model-dir']) throw new UsageError('--engine transformers needs --model-dir DIR (a local model folder)');
    chosen = transformersChoice(values['model-dir'], values.dtype);
  } else {
    if (!values['base-url']) throw new UsageError('--base-url URL is required (e.g. http://127.0.0.1:8080/v1)');
    if (!/^https?:\/\//.test(values['base-url'])) throw new UsageError(`--base-url must start with http:// or https://, got "${values['base-url']}"`);
    if (!values.model) throw new UsageError('--model NAME is required');
    chosen = {
      engine: {
        kind: 'openai', baseUrl: values['base-url'], apiKey: values['api-key'] ?? process.env.OPENAI_API_KEY,
        contextWindow: integer('context-window', values['context-window'], 256),
        jsonMode: oneOf('json-mode', values['json-mode'], ['auto', 'json_schema', 'json_object', 'off'] as const) ?? 'auto' satisfies JsonMode,
        timeoutMs: integer('timeout-ms', values['timeout-ms'], 1) ?? 120_000,
        stream: !values['no-stream'],
      },
      model: values.model,
    };
  }
  const protocol = oneOf('protocol', values.protocol, PROTOCOL_NAMES) ?? DEFAULT_PROTOCOL;
  const overrides: Partial<EvaluationSettings> = {
    mode: oneOf('mode', values.mode, ['fixed', 'dynamic', 'logprob'] as const),
    k: integer('k', values.k, 1),
    lambda: number('lambda', values.lambda, 0),
    temperature: number('temperature', values.temperature, 0),
    retries: integer('retries', values.retries, 0),
    seed: integer('seed', values.seed, 0),
    missingCriteria: oneOf('missing-criteria', values['missing-criteria'], ['derive', 'stop'] as const),
    ...(values['no-bystander'] ? { bystander: false } : {}),
    ...(values['one-call-per-trial'] ? { samplesPerCall: 1 as const } : {}),
  };
  let settings: EvaluationSettings;
  try {
    settings = protocolSettings(protocol, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    data: values.data,
    predictions: values.predictions ?? [],
    criteria: values.criteria ?? [],
    ...chosen,
    out: values.out,
    newRun: !!values['new-run'],
    format: oneOf('format', values.format, ['jsonl', 'reference'] as const) ?? 'jsonl',
    judgeTemplate: values['judge-template'],
    settings,
    concurrency: integer('concurrency', values.concurrency, 1) ?? 1,
    quiet: !!values.quiet,
  };
}

function toLine(r: CandidateResult, c: Case, header: RunHeader): ResultLine {
  return resultLine({
    case: c, candidate: r.candidate, protocol: header.protocol, model: header.engine.model,
    judgments: r.judgments, criteria: r.criteria, aggregate: r.aggregate, notes: r.notes,
    calls: r.usage.calls, cachedJudgments: r.cachedJudgments, decode: r.decode,
  });
}

/** A results file that belongs to another run: the caller is told which fields differ. */
export class OtherRunError extends Error {
  constructor(readonly path: string, readonly fields: string[]) {
    super(fields.length
      ? `${path} holds a run with other settings (${fields.join(', ')} differ${fields.length === 1 ? 's' : ''}); resuming would mix results. Add --new-run to start a new results file beside it, or choose another --out.`
      : `${path} has no run header (written by an older Attune, or not a results file); resuming could mix results. Add --new-run to start a new results file beside it, or choose another --out.`);
    this.name = 'OtherRunError';
  }
}

/**
 * The results already in --out for this same run. The first line must be a header equal to
 * `header` but for its start time; a torn last line (a kill mid-write) is cut off, and a
 * candidate written twice is kept once.
 */
export function readDone(path: string, header: RunHeader, warn: (s: string) => void): { lines: ResultLine[]; startedAt: string | null } {
  if (!existsSync(path)) return { lines: [], startedAt: null };
  const text = readFileSync(path, 'utf8');
  const rows = text.split('\n');
  let first: RunHeader | undefined;
  try {
    first = RunHeader.parse(JSON.parse(rows[0]));
  } catch {
    // A header torn by a kill before anything else was written: the file holds nothing yet.
    if (rows.length <= 2 && !text.endsWith('\n')) {
      writeFileSync(path, '');
      return { lines: [], startedAt: null };
    }
    throw new OtherRunError(path, []);
  }
  const differ = headerDifferences(first, header);
  if (differ.length) throw new OtherRunError(path, differ);
  const byCandidate = new Map<string, { line: ResultLine; text: string }>();
  let bad = 0;
  for (const [i, row] of rows.slice(1).entries()) {
    if (!row.trim()) continue;
    try {
      const parsed = JSON.parse(row) as ResultLine;
      if (parsed.type !== 'result' || typeof parsed.candidateId !== 'string' || !parsed.aggregate) throw new Error('not a result line');
      byCandidate.set(parsed.candidateId, { line: parsed, text: row });
    } catch {
      bad++;
      warn(`${path} (line ${i + 2}): not a complete result line; it is dropped and that candidate is judged again`);
    }
  }
  const kept = [...byCandidate.values()];
  if (bad || kept.length !== rows.slice(1).filter((r) => r.trim()).length) {
    // Rewritten whole and renamed into place, so a kill now cannot leave a half-written file.
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, [rows[0], ...kept.map((k) => k.text)].map((l) => `${l}\n`).join(''));
    renameSync(temporary, path);
  }
  return { lines: kept.map((k) => k.line), startedAt: first.startedAt };
}

/** A file name beside `path` that does not exist yet: results.jsonl → results.2.jsonl, … */
export function nextFreePath(path: string): string {
  const dot = path.lastIndexOf('.');
  const [stem, ext] = dot > path.lastIndexOf('/') ? [path.slice(0, dot), path.slice(dot)] : [path, ''];
  for (let i = 2; ; i++) {
    const candidate = `${stem}.${i}${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
}

function merge(bundles: ImportBundle[]) {
  const byId = <T extends { id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.id, x])).values()];
  return {
    people: byId(bundles.flatMap((b) => b.people)) as Person[],
    conversations: byId(bundles.flatMap((b) => b.conversations)) as Conversation[],
    messages: byId(bundles.flatMap((b) => b.messages)) as Message[],
    memories: byId(bundles.flatMap((b) => b.memories)) as Memory[],
    personas: byId(bundles.flatMap((b) => b.personas)) as Persona[],
    cases: byId(bundles.flatMap((b) => b.cases)) as Case[],
    candidates: byId(bundles.flatMap((b) => b.candidates)) as Candidate[],
  };
}

const fmt = (x: number | null, digits = 4) => (x === null ? 'n/a' : x.toFixed(digits));
const counted = (m: MeanWithCounts, digits = 4) => `${fmt(m.mean, digits)}  (n_ok ${m.nOk}, n_failed ${m.nMissing})`;

export function formatSummary(s: DatasetSummary, agreement?: LabelAgreement): string {
  const lines = [
    `Candidates: ${s.candidates}`,
    ...DIMENSIONS.map((d) => `  ${d.padEnd(11)} mean (1-5): ${counted(s.dimensionMeans[d], 3)}`),
    `Overall empathy (mean of dimension means / 5): ${fmt(s.overallEmpathy)}`,
    `Mean empathy (harmonic, per candidate):        ${counted(s.meanEmpathy)}`,
    `Mean bystander b:                              ${counted(s.meanBystander)}`,
    `Mean reward:                                   ${counted(s.meanReward)}`,
    `Failures: ${s.failedJudgments} failed judgments in ${s.candidatesWithFailures} candidates (excluded from the means above, never replaced)`,
  ];
  lines.push(`Replies flagged as prompt injection (they address the judge): ${s.flaggedReplies}${s.excludedFlagged ? ` (${s.excludedFlagged} left out of the figures above)` : ''}`);
  if (agreement) {
    lines.push(`Agreement with human labels (${agreement.n} labelled candidates): pairwise accuracy ${fmt(agreement.accuracy)} over ${agreement.pairs} pairs, Spearman ${fmt(agreement.spearman)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** eval.py's lines for one predictions file: each dimension's mean raw score, then the overall figure. */
export function formatReferenceSummary(system: string, s: DatasetSummary): string {
  return [
    `${system}:`,
    ...DIMENSIONS.map((d) => `${d}: ${fmt(s.dimensionMeans[d].mean)}`),
    `Overall empathy score: ${fmt(s.overallEmpathy)}`,
  ].join('\n') + '\n';
}

export function agreementOf(lines: ResultLine[]): LabelAgreement | undefined {
  if (!lines.some((l) => l.label !== null)) return undefined;
  const labelled = lines.filter((l) => l.label !== null && l.reward !== null);
  return labelAgreement(labelled.map((l) => ({ group: l.caseId, label: l.label!, score: l.reward! })));
}

/** eval.py's `<predictions>_fix_criteria_res.json`: per query, each dimension's score and the judge's full answer. */
export function referenceResults(lines: ResultLine[]): { session_id: string | null; query_id: string | null; resonation: { score: number | null; full_judge: string | null }; expression: { score: number | null; full_judge: string | null }; reception: { score: number | null; full_judge: string | null } }[] {
  return lines.map((l) => {
    const dimension = (d: Dimension) => {
      const trial = l.scores[d]?.trials[0];
      return { score: trial?.status === 'ok' ? trial.score : null, full_judge: trial?.raw ?? null };
    };
    return { session_id: l.sessionId, query_id: l.queryId, resonation: dimension('resonation'), expression: dimension('expression'), reception: dimension('reception') };
  });
}

export function referenceResultsPath(predictionsPath: string): string {
  return `${predictionsPath.replace(/\.json$/i, '')}_fix_criteria_res.json`;
}

export async function run(argv: string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`attune evaluate: ${(e as Error).message}\nRun "attune evaluate --help" for every option.\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(help);
    return 0;
  }
  const a = args;
  const err = (s: string) => process.stderr.write(`${s}\n`);

  const files = [];
  for (const path of [...a.data, ...a.predictions, ...a.criteria]) {
    try {
      files.push({ name: path, bytes: new Uint8Array(await readFile(path)) });
    } catch (e) {
      err(`attune evaluate: cannot read ${path}: ${(e as Error).message}`);
      return 1;
    }
  }
  let judgeTemplate: JudgeTemplate | undefined;
  if (a.judgeTemplate) {
    try {
      judgeTemplate = await parseJudgeTemplate(basename(a.judgeTemplate), await readFile(a.judgeTemplate, 'utf8'));
    } catch (e) {
      err(`attune evaluate: ${(e as Error).message}`);
      return e instanceof TemplateError ? 2 : 1;
    }
  }
  const parsed = await parseFiles(files);
  for (const issue of parsed.issues) err(`${issue.file} (${issue.where}): ${issue.message}`);
  if (parsed.issues.length) return 1;
  const data = merge(parsed.bundles);
  const withCandidates = data.cases.filter((c) => data.candidates.some((x) => x.caseId === c.id));
  if (!withCandidates.length) {
    err(`attune evaluate: the data holds ${data.cases.length} cases but no candidate replies to judge (PersonaEmp sessions need --predictions)`);
    return 1;
  }
  if (withCandidates.length < data.cases.length) err(`note: ${data.cases.length - withCandidates.length} cases have no candidate and are left out`);

  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let adapter: Engine | undefined;
  try {
    adapter = await createEngine(a.engine);
    const engine = await adapter.load(a.model, { signal: controller.signal });
    const header = runHeader({
      settings: a.settings, engine: engine.info, judgeTemplate, startedAt: new Date(),
      data: files.map((f) => ({ file: basename(f.name), sha256: sha256Bytes(f.bytes) })),
    });
    // Judgments are cached beside the first --out, and reused by any run whose keys match.
    const store = new JsonlEvaluationStore(`${a.out}.cache.jsonl`);
    if (store.skippedLines) err(`note: ${store.skippedLines} unreadable lines in ${store.path} were skipped (that work is redone)`);
    let out = a.out;
    if (a.newRun && existsSync(out)) {
      out = nextFreePath(out);
      err(`New run: writing to ${out}`);
    }
    let done: ResultLine[];
    // The header goes in with the first result, so a run that judged nothing leaves no file behind.
    let headerWritten: boolean;
    try {
      const previous = readDone(out, header, err);
      done = previous.lines;
      headerWritten = previous.startedAt !== null;
      if (previous.startedAt) header.startedAt = previous.startedAt;
    } catch (e) {
      if (!(e instanceof OtherRunError)) throw e;
      err(`attune evaluate: ${e.message}`);
      return 2;
    }
    const doneIds = new Set(done.map((l) => l.candidateId));
    if (done.length) err(`Resuming: ${done.length} candidates already in ${out}`);

    // Memories and persona per person: imported ones as they are, otherwise from the history.
    const items: EvaluationItem[] = [];
    const context = new Map<string, { persona?: Persona; memories: Memory[] }>();
    for (const personId of new Set(withCandidates.map((c) => c.personId))) {
      const imported = data.memories.filter((m) => m.personId === personId);
      const profile = await profilePerson(engine, store, {
        personId,
        conversations: data.conversations.filter((c) => c.personId === personId),
        messages: data.messages.filter((m) => m.personId === personId),
      }, {
        memories: imported.length ? imported : undefined,
        persona: latestPersona(data.personas.filter((p) => p.personId === personId)) ?? 'infer',
        retries: a.settings.retries, signal: controller.signal,
      });
      for (const f of profile.memoryFailures) err(`memories of conversation ${f.conversationId} failed: ${f.error}`);
      if (profile.personaFailure) err(`persona of ${personId} failed (judging without one): ${profile.personaFailure.error}`);
      context.set(personId, { persona: profile.persona, memories: profile.memories });
    }
    for (const c of withCandidates) {
      items.push({ case: c, ...context.get(c.personId)!, candidates: data.candidates.filter((x) => x.caseId === c.id) });
    }
    const casesById = new Map(withCandidates.map((c) => [c.id, c]));
    const lines = [...done];
    let lastProgress = 0;
    let cachedJudgments = 0;
    const run = await runEvaluation({
      engine, store, items, settings: a.settings, judgeTemplate, concurrency: a.concurrency, signal: controller.signal,
      skip: (c) => doneIds.has(c.id),
      onProgress: (e) => {
        if (a.quiet || (Date.now() - lastProgress < 500 && e.done !== e.total)) return;
        lastProgress = Date.now();
        err(`[${e.done}/${e.total}] ${e.step} ${e.item}${e.cached ? ' (cached)' : ''}${e.tokensPerSecond ? `  ${e.tokensPerSecond.toFixed(1)} tok/s` : ''}`);
      },
      onResult: (r) => {
        const line = toLine(r, casesById.get(r.caseId)!, header);
        appendFileSync(out, `${headerWritten ? '' : `${JSON.stringify(header)}\n`}${JSON.stringify(line)}\n`);
        headerWritten = true;
        lines.push(line);
        cachedJudgments += r.cachedJudgments;
      },
    });
    err(`This run: ${run.usage.calls} model calls (${run.usage.promptTokens} prompt + ${run.usage.completionTokens} completion tokens), ${cachedJudgments} judgments reused from ${store.path}, ${done.length} candidates already in ${out}`);
    if (run.samplesFallback) err('note: the server returned fewer samples than n asked for; the run went on with one request per trial');
    // In the data's order, whatever order they were written in.
    const order = new Map(items.flatMap((i) => i.candidates).map((c, i) => [c.id, i]));
    lines.sort((x, y) => (order.get(x.candidateId) ?? 0) - (order.get(y.candidateId) ?? 0));
    process.stdout.write(formatSummary(summarize(lines.map((l) => l.aggregate)), agreementOf(lines)));
    const systems = summarizeBySystem(lines.filter((l) => l.system !== null).map((l) => ({ system: l.system!, aggregate: l.aggregate })));
    if (systems.length) {
      process.stdout.write('\nPer system (eval.py\'s figures: mean raw 1-5 score per dimension, overall = sum of the means / 3 / 5):\n');
      for (const { system, summary } of systems) process.stdout.write(formatReferenceSummary(system, summary));
    }
    if (a.format === 'reference') {
      for (const path of a.predictions) {
        const target = referenceResultsPath(path);
        writeFileSync(target, `${JSON.stringify(referenceResults(lines.filter((l) => l.system === fileStem(path))), null, 2)}\n`);
        err(`Wrote ${target}`);
      }
    }
    return 0;
  } catch (e) {
    if (controller.signal.aborted) {
      err(`Interrupted. Every finished judgment is saved; run the same command again to resume.`);
      return 130;
    }
    if (e instanceof RunSetupError) {
      err(`attune evaluate: ${e.message}`);
      return 2;
    }
    const typed = e instanceof EngineError || e instanceof MethodError;
    const message = typed ? `${e.userMessage}\n  (${e.message})` : (e as Error).message;
    err(`attune evaluate: ${message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await adapter?.unload();
  }
}
