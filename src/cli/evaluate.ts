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
import type { ChatEngine, Engine } from '../llm/engine.ts';
import { createEngine, type EngineChoice } from '../llm/registry.ts';
import { MethodError } from '../method/errors.ts';
import {
  labelAgreement, summarize, summarizeBySystem, type DatasetSummary, type LabelAgreement, type MeanWithCounts,
} from '../method/aggregate.ts';
import { runEvaluation, RunSetupError, type CandidateResult, type EvaluationItem, type RunResult } from '../method/pipeline.ts';
import type { EvaluationStore } from '../method/store.ts';
import { DEFAULT_PROTOCOL, PROTOCOL_NAMES, PROTOCOLS, protocolSettings, type ProtocolName } from '../method/protocols.ts';
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

export class UsageError extends Error {}

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

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** What `evaluate` and `compare` both take: the data, the engine, settings over the protocol, how to run. */
export interface RunArgs {
  data: string[];
  predictions: string[];
  criteria: string[];
  /** What the engine registry makes, and the model that engine loads. */
  engine: EngineChoice;
  model: string;
  judgeTemplate?: string;
  /** Settings given on the command line, over the protocol's. */
  overrides: Partial<EvaluationSettings>;
  concurrency: number;
  quiet: boolean;
}

interface Args extends RunArgs {
  out: string;
  newRun: boolean;
  format: 'jsonl' | 'reference';
  settings: EvaluationSettings;
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

/** parseArgs options shared by `evaluate` and `compare`. */
export const RUN_OPTIONS = {
  data: { type: 'string', multiple: true }, predictions: { type: 'string', multiple: true }, criteria: { type: 'string', multiple: true }, engine: { type: 'string' },
  'base-url': { type: 'string' }, model: { type: 'string' }, 'api-key': { type: 'string' },
  'model-dir': { type: 'string' }, dtype: { type: 'string' }, 'judge-template': { type: 'string' },
  'missing-criteria': { type: 'string' }, temperature: { type: 'string' }, 'no-bystander': { type: 'boolean' },
  mode: { type: 'string' }, k: { type: 'string' }, lambda: { type: 'string' }, concurrency: { type: 'string' },
  retries: { type: 'string' }, seed: { type: 'string' }, 'context-window': { type: 'string' }, 'json-mode': { type: 'string' },
  'timeout-ms': { type: 'string' }, 'no-stream': { type: 'boolean' }, 'one-call-per-trial': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

type RunValues = ReturnType<typeof parseArgs<{ options: typeof RUN_OPTIONS; allowPositionals: true }>>['values'];

/** The data, engine and settings options, checked: a wrong value is a UsageError naming the option. */
export function parseRunArgs(values: RunValues, positionals: string[]): RunArgs {
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (files go after --data)`);
  if (!values.data?.length) throw new UsageError('--data FILE is required');
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
  return {
    data: values.data,
    predictions: values.predictions ?? [],
    criteria: values.criteria ?? [],
    ...chosen,
    judgeTemplate: values['judge-template'],
    overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    concurrency: integer('concurrency', values.concurrency, 1) ?? 1,
    quiet: !!values.quiet,
  };
}

/** A protocol's settings with the command line's over them; an invalid combination is a UsageError. */
export function settingsFor(protocol: ProtocolName, overrides: Partial<EvaluationSettings>): EvaluationSettings {
  try {
    return protocolSettings(protocol, overrides);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function parse(argv: string[]): Args | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...RUN_OPTIONS, out: { type: 'string' }, protocol: { type: 'string' }, 'new-run': { type: 'boolean' }, format: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const common = parseRunArgs(values, positionals);
  if (!values.out) throw new UsageError('--out FILE is required');
  const protocol = oneOf('protocol', values.protocol, PROTOCOL_NAMES) ?? DEFAULT_PROTOCOL;
  return {
    ...common,
    out: values.out,
    newRun: !!values['new-run'],
    format: oneOf('format', values.format, ['jsonl', 'reference'] as const) ?? 'jsonl',
    settings: settingsFor(protocol, common.overrides),
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

/** The data of a run, read and parsed; a number is the exit code after the problem was reported. */
export interface RunData {
  files: { name: string; bytes: Uint8Array }[];
  data: ReturnType<typeof merge>;
  /** The cases that have candidates to judge. */
  cases: Case[];
  judgeTemplate?: JudgeTemplate;
}

export async function loadRunData(a: RunArgs, command: string, err: (s: string) => void): Promise<RunData | number> {
  const files = [];
  for (const path of [...a.data, ...a.predictions, ...a.criteria]) {
    try {
      files.push({ name: path, bytes: new Uint8Array(await readFile(path)) });
    } catch (e) {
      err(`attune ${command}: cannot read ${path}: ${(e as Error).message}`);
      return 1;
    }
  }
  let judgeTemplate: JudgeTemplate | undefined;
  if (a.judgeTemplate) {
    try {
      judgeTemplate = await parseJudgeTemplate(basename(a.judgeTemplate), await readFile(a.judgeTemplate, 'utf8'));
    } catch (e) {
      err(`attune ${command}: ${(e as Error).message}`);
      return e instanceof TemplateError ? 2 : 1;
    }
  }
  const parsed = await parseFiles(files);
  for (const issue of parsed.issues) err(`${issue.file} (${issue.where}): ${issue.message}`);
  if (parsed.issues.length) return 1;
  const data = merge(parsed.bundles);
  const cases = data.cases.filter((c) => data.candidates.some((x) => x.caseId === c.id));
  if (!cases.length) {
    err(`attune ${command}: the data holds ${data.cases.length} cases but no candidate replies to judge (PersonaEmp sessions need --predictions)`);
    return 1;
  }
  if (cases.length < data.cases.length) err(`note: ${data.cases.length - cases.length} cases have no candidate and are left out`);
  return { files, data, cases, judgeTemplate };
}

/** Memories and persona per person (imported ones as they are, otherwise from the history), and the items to judge. */
export async function profileItems(engine: ChatEngine, store: EvaluationStore, d: RunData, retries: number, signal: AbortSignal, err: (s: string) => void): Promise<EvaluationItem[]> {
  const { data } = d;
  const context = new Map<string, { persona?: Persona; memories: Memory[] }>();
  for (const personId of new Set(d.cases.map((c) => c.personId))) {
    const imported = data.memories.filter((m) => m.personId === personId);
    const profile = await profilePerson(engine, store, {
      personId,
      conversations: data.conversations.filter((c) => c.personId === personId),
      messages: data.messages.filter((m) => m.personId === personId),
    }, {
      memories: imported.length ? imported : undefined,
      persona: latestPersona(data.personas.filter((p) => p.personId === personId)) ?? 'infer',
      retries, signal,
    });
    for (const f of profile.memoryFailures) err(`memories of conversation ${f.conversationId} failed: ${f.error}`);
    if (profile.personaFailure) err(`persona of ${personId} failed (judging without one): ${profile.personaFailure.error}`);
    context.set(personId, { persona: profile.persona, memories: profile.memories });
  }
  return d.cases.map((c) => ({ case: c, ...context.get(c.personId)!, candidates: data.candidates.filter((x) => x.caseId === c.id) }));
}

export interface JudgedFile {
  out: string;
  /** Every result of the run in the data's order, those of earlier runs into the same file included. */
  lines: ResultLine[];
  /** What this invocation did (resumed candidates cost nothing here). */
  run: RunResult;
  ms: number;
  resumed: number;
  cachedJudgments: number;
}

export interface OpenedResults {
  out: string;
  header: RunHeader;
  done: ResultLine[];
  headerWritten: boolean;
}

/**
 * The results file of a run: `out` (or a new file beside it with newRun), with the results of
 * this same run already there. Throws OtherRunError when it holds another run, before any work.
 */
export function openResults(path: string, newRun: boolean, header: RunHeader, err: (s: string) => void): OpenedResults {
  let out = path;
  if (newRun && existsSync(out)) {
    out = nextFreePath(out);
    err(`New run: writing to ${out}`);
  }
  const previous = readDone(out, header, err);
  if (previous.startedAt) header.startedAt = previous.startedAt;
  if (previous.lines.length) err(`Resuming: ${previous.lines.length} candidates already in ${out}`);
  // The header goes in with the first result, so a run that judged nothing leaves no file behind.
  return { out, header, done: previous.lines, headerWritten: previous.startedAt !== null };
}

/** Judges the items under the header's settings into the opened results file, one line per candidate as it completes. */
export async function judgeIntoFile(opened: OpenedResults, o: {
  engine: ChatEngine; store: EvaluationStore; items: EvaluationItem[];
  judgeTemplate?: JudgeTemplate; concurrency: number; signal: AbortSignal; quiet: boolean; err: (s: string) => void;
}): Promise<JudgedFile> {
  const { header, out, done } = opened;
  const { err } = o;
  let headerWritten = opened.headerWritten;
  const doneIds = new Set(done.map((l) => l.candidateId));
  const casesById = new Map(o.items.map((i) => [i.case.id, i.case]));
  const lines = [...done];
  let lastProgress = 0;
  let cachedJudgments = 0;
  const started = Date.now();
  const run = await runEvaluation({
    engine: o.engine, store: o.store, items: o.items, settings: header.settings, judgeTemplate: o.judgeTemplate, concurrency: o.concurrency, signal: o.signal,
    skip: (c) => doneIds.has(c.id),
    onProgress: (e) => {
      if (o.quiet || (Date.now() - lastProgress < 500 && e.done !== e.total)) return;
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
  const ms = Date.now() - started;
  // In the data's order, whatever order they were written in.
  const order = new Map(o.items.flatMap((i) => i.candidates).map((c, i) => [c.id, i]));
  lines.sort((x, y) => (order.get(x.candidateId) ?? 0) - (order.get(y.candidateId) ?? 0));
  return { out, lines, run, ms, resumed: done.length, cachedJudgments };
}

/** The exit code for an error that stopped a run, after saying what it was. */
export function stoppedRun(e: unknown, command: string, interrupted: boolean, err: (s: string) => void): number {
  if (interrupted) {
    err(`Interrupted. Every finished judgment is saved; run the same command again to resume.`);
    return 130;
  }
  if (e instanceof RunSetupError) {
    err(`attune ${command}: ${e.userMessage}`);
    return 2;
  }
  if (e instanceof OtherRunError) {
    err(`attune ${command}: ${e.message}`);
    return 2;
  }
  const typed = e instanceof EngineError || e instanceof MethodError;
  const message = typed ? `${e.userMessage}\n  (${e.message})` : (e as Error).message;
  err(`attune ${command}: ${message}`);
  return 1;
}

/** A command's arguments, or the exit code when they were wrong or only help was asked for. */
export function parseOrExit<A>(command: string, argv: string[], parse: (argv: string[]) => A | 'help', help: string): A | number {
  try {
    const args = parse(argv);
    if (args !== 'help') return args;
    process.stdout.write(help);
    return 0;
  } catch (e) {
    process.stderr.write(`attune ${command}: ${(e as Error).message}\nRun "attune ${command} --help" for every option.\n`);
    return 2;
  }
}

/**
 * Loads the chosen engine and runs `body` with it, under a signal that Ctrl-C (or SIGTERM)
 * aborts; what stops the run becomes its exit code, and the engine is unloaded whatever happens.
 */
export async function withEngine(
  command: string, choice: { engine: EngineChoice; model: string }, err: (s: string) => void,
  body: (engine: ChatEngine, signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let adapter: Engine | undefined;
  try {
    adapter = await createEngine(choice.engine);
    return await body(await adapter.load(choice.model, { signal: controller.signal }), controller.signal);
  } catch (e) {
    return stoppedRun(e, command, controller.signal.aborted, err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await adapter?.unload();
  }
}

/** The data's file names and content hashes, for the run header. */
export function dataHashes(d: RunData): { file: string; sha256: string }[] {
  return d.files.map((f) => ({ file: basename(f.name), sha256: sha256Bytes(f.bytes) }));
}

export async function run(argv: string[]): Promise<number> {
  const a = parseOrExit('evaluate', argv, parse, help);
  if (typeof a === 'number') return a;
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const loaded = await loadRunData(a, 'evaluate', err);
  if (typeof loaded === 'number') return loaded;
  return withEngine('evaluate', a, err, async (engine, signal) => {
    const header = runHeader({ settings: a.settings, engine: engine.info, judgeTemplate: loaded.judgeTemplate, startedAt: new Date(), data: dataHashes(loaded) });
    // Judgments are cached beside the first --out, and reused by any run whose keys match.
    const store = new JsonlEvaluationStore(`${a.out}.cache.jsonl`);
    if (store.skippedLines) err(`note: ${store.skippedLines} unreadable lines in ${store.path} were skipped (that work is redone)`);
    const opened = openResults(a.out, a.newRun, header, err);
    const items = await profileItems(engine, store, loaded, a.settings.retries, signal, err);
    const judged = await judgeIntoFile(opened, {
      engine, store, items, judgeTemplate: loaded.judgeTemplate,
      concurrency: a.concurrency, signal, quiet: a.quiet, err,
    });
    const { run, lines } = judged;
    err(`This run: ${run.usage.calls} model calls (${run.usage.promptTokens} prompt + ${run.usage.completionTokens} completion tokens), ${judged.cachedJudgments} judgments reused from ${store.path}, ${judged.resumed} candidates already in ${judged.out}`);
    if (run.samplesFallback) err('note: the server returned fewer samples than n asked for; the run went on with one request per trial');
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
  });
}
