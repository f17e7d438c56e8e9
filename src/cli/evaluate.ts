// `attune evaluate`: the PereGRM method over a data set, headless, with the same code as the
// app. Writes one JSON line per candidate to --out, resumes when re-run with the same --out
// (written candidates are skipped; judgments cached in --out's .cache.jsonl are reused), and
// prints the reference's summary figures with failures counted.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DIMENSIONS, type Candidate, type Case, type Conversation, type Memory, type Message, type Person, type Persona } from '../domain/records.ts';
import type { ImportBundle } from '../domain/bundle.ts';
import { parseFiles } from '../import/index.ts';
import type { JsonMode } from '../llm/openai.ts';
import { EngineError } from '../llm/errors.ts';
import type { Engine } from '../llm/engine.ts';
import { createEngine, type EngineChoice } from '../llm/registry.ts';
import { MethodError } from '../method/errors.ts';
import {
  labelAgreement, summarize, type DatasetSummary, type LabelAgreement, type MeanWithCounts,
} from '../method/aggregate.ts';
import { DEFAULT_SETTINGS, runEvaluation, type CandidateResult, type EvaluationItem, type EvaluationSettings, type JudgeMode } from '../method/pipeline.ts';
import { profilePerson } from '../method/profile.ts';
import { latestPersona } from '../method/store.ts';
import { injectionFlagsOf } from '../method/injection.ts';
import { resultLine, type ResultLine, type ResultLineInput } from '../method/result-line.ts';
import { JsonlEvaluationStore } from './jsonl-store.ts';

const help = `Usage: attune evaluate --data FILE [--predictions FILE] --engine openai --base-url URL --model NAME --out results.jsonl [options]
       attune evaluate --data FILE [--predictions FILE] --engine transformers --model-dir DIR --out results.jsonl [options]

Judges every candidate reply in the data (PersonaEmp sessions + predictions, or any format
"attune import" reads) for resonation, expression and reception (1-5) plus the bystander
check, and writes one JSON line per candidate to --out. Re-running with the same --out resumes.

  --data FILE          data set (repeatable)
  --predictions FILE   PersonaEmp predictions, one file per system (repeatable)
  --criteria FILE      the criteria file of prepare_criteria.py, attached to the cases of --data
                       by session_id / query_id (repeatable; --data FILE reads it as well)
  --engine openai|transformers   an OpenAI-compatible server (llama.cpp, vLLM, Ollama, ...), or
                       a local ONNX model run in this process with Transformers.js (default openai)
  --base-url URL       openai: e.g. http://127.0.0.1:8080/v1
  --model NAME         openai: model name sent to the server
  --api-key KEY        openai: or set OPENAI_API_KEY
  --model-dir DIR      transformers: a model folder (config.json, tokenizer files, onnx/model*.onnx)
  --dtype fp32|fp16|q8|q4|q4f16  transformers: which onnx/ weights to load (default: the first of
                       q8, fp32, q4, fp16, q4f16 that the folder holds)
  --out FILE           results, one JSON line per candidate; judgments are cached in FILE.cache.jsonl
  --mode fixed|dynamic|logprob   default fixed (criteria once per case and dimension)
  --k N                trials per dimension (default ${DEFAULT_SETTINGS.k})
  --lambda X           bystander weight in the reward (default ${DEFAULT_SETTINGS.lambda})
  --concurrency N      candidates judged at once (default 1)
  --retries N          extra attempts after an unparseable answer (default ${DEFAULT_SETTINGS.retries})
  --seed N             base seed (default ${DEFAULT_SETTINGS.seed})
  --one-call-per-trial send each trial alone instead of k samples in one request (n = k)
  --context-window N   openai: override the model's context window (default: from the server, else 4096)
  --json-mode auto|json_schema|json_object|off   openai: constrained output (default auto)
  --timeout-ms N       openai: per request (default 120000)
  --no-stream          openai: ask for whole answers instead of streamed ones
  --quiet              no progress lines
Exit code: 0 when the run finished (failures are counted in the summary), 1 on a data or
server error, 2 on wrong usage, 130 when interrupted (re-run to resume).
`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects an integer ≥ ${min}, got "${value}"`);
  return n;
}

interface Args {
  data: string[];
  predictions: string[];
  criteria: string[];
  /** What the engine registry makes, and the model that engine loads. */
  engine: EngineChoice;
  model: string;
  out: string;
  settings: Partial<EvaluationSettings> & { mode: JudgeMode; k: number; lambda: number; seed: number; retries: number };
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
  const mode = values.mode ?? 'fixed';
  if (mode !== 'fixed' && mode !== 'dynamic' && mode !== 'logprob') throw new UsageError(`--mode must be fixed, dynamic or logprob, got "${mode}"`);
  const lambda = values.lambda === undefined ? DEFAULT_SETTINGS.lambda : Number(values.lambda);
  if (!Number.isFinite(lambda) || lambda < 0) throw new UsageError(`--lambda expects a number ≥ 0, got "${values.lambda}"`);
  let chosen: { engine: EngineChoice; model: string };
  if (engine === 'transformers') {
    if (!values['model-dir']) throw new UsageError('--engine transformers needs --model-dir DIR (a local model folder)');
    chosen = transformersChoice(values['model-dir'], values.dtype);
  } else {
    if (!values['base-url']) throw new UsageError('--base-url URL is required (e.g. http://127.0.0.1:8080/v1)');
    if (!/^https?:\/\//.test(values['base-url'])) throw new UsageError(`--base-url must start with http:// or https://, got "${values['base-url']}"`);
    if (!values.model) throw new UsageError('--model NAME is required');
    const jsonMode = values['json-mode'] ?? 'auto';
    if (!['auto', 'json_schema', 'json_object', 'off'].includes(jsonMode)) throw new UsageError(`--json-mode must be auto, json_schema, json_object or off, got "${jsonMode}"`);
    chosen = {
      engine: {
        kind: 'openai', baseUrl: values['base-url'], apiKey: values['api-key'] ?? process.env.OPENAI_API_KEY,
        contextWindow: values['context-window'] === undefined ? undefined : integer('context-window', values['context-window'], 0, 256),
        jsonMode: jsonMode as JsonMode,
        timeoutMs: integer('timeout-ms', values['timeout-ms'], 120_000, 1),
        stream: !values['no-stream'],
      },
      model: values.model,
    };
  }
  return {
    data: values.data,
    predictions: values.predictions ?? [],
    criteria: values.criteria ?? [],
    ...chosen,
    out: values.out,
    settings: {
      mode, lambda,
      k: integer('k', values.k, DEFAULT_SETTINGS.k, 1),
      retries: integer('retries', values.retries, DEFAULT_SETTINGS.retries, 0),
      seed: integer('seed', values.seed, DEFAULT_SETTINGS.seed, 0),
      samplesPerCall: values['one-call-per-trial'] ? 1 : 'auto',
    },
    concurrency: integer('concurrency', values.concurrency, 1, 1),
    quiet: !!values.quiet,
  };
}

function toLine(r: CandidateResult, c: Case, model: string, s: Args['settings']): ResultLine {
  const criteria: ResultLineInput['criteria'] = {};
  for (const d of DIMENSIONS) {
    const set = r.criteria[d];
    if (set) criteria[d] = { items: set.items, renormalized: set.renormalized };
  }
  return resultLine({
    caseId: r.caseId, candidateId: r.candidateId, personId: r.candidate.personId, name: r.candidate.name,
    label: r.candidate.label, query: c.query, category: c.category,
    settings: { model, mode: s.mode, k: s.k, lambda: s.lambda, seed: s.seed },
    judgments: r.judgments, criteria, aggregate: r.aggregate,
    calls: r.usage.calls, cachedJudgments: r.cachedJudgments,
  });
}

/** Lines already in --out; a torn last line is dropped from the file. */
export function readDone(path: string, warn: (s: string) => void): ResultLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines: ResultLine[] = [];
  const kept: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as ResultLine;
      if (typeof parsed.candidateId !== 'string' || !parsed.aggregate) throw new Error('not a result line');
      // Lines written before the aggregate carried its injection flags have them in `flags`.
      parsed.aggregate.injectionFlags ??= injectionFlagsOf(parsed.flags ?? []);
      lines.push(parsed);
      kept.push(line);
    } catch {
      warn(`${path} (line ${i + 1}): not a complete result line; it is dropped and that candidate is judged again`);
    }
  }
  if (kept.length !== text.split('\n').filter((l) => l.trim()).length) writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
  return lines;
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
    `Replies flagged as prompt injection (they address the judge): ${s.flaggedReplies}`,
  ];
  if (agreement) {
    lines.push(`Agreement with human labels (${agreement.n} labelled candidates): pairwise accuracy ${fmt(agreement.accuracy)} over ${agreement.pairs} pairs, Spearman ${fmt(agreement.spearman)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function agreementOf(lines: ResultLine[]): LabelAgreement | undefined {
  if (!lines.some((l) => l.label !== null)) return undefined;
  const labelled = lines.filter((l) => l.label !== null && l.reward !== null);
  return labelAgreement(labelled.map((l) => ({ group: l.caseId, label: l.label!, score: l.reward! })));
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
    const store = new JsonlEvaluationStore(`${a.out}.cache.jsonl`);
    if (store.skippedLines) err(`note: ${store.skippedLines} unreadable lines in ${store.path} were skipped (that work is redone)`);
    const done = readDone(a.out, err);
    const doneIds = new Set(done.map((l) => l.candidateId));
    if (done.length) err(`Resuming: ${done.length} candidates already in ${a.out}`);

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
      engine, store, items, settings: a.settings, concurrency: a.concurrency, signal: controller.signal,
      skip: (c) => doneIds.has(c.id),
      onProgress: (e) => {
        if (a.quiet || (Date.now() - lastProgress < 500 && e.done !== e.total)) return;
        lastProgress = Date.now();
        err(`[${e.done}/${e.total}] ${e.step} ${e.item}${e.cached ? ' (cached)' : ''}${e.tokensPerSecond ? `  ${e.tokensPerSecond.toFixed(1)} tok/s` : ''}`);
      },
      onResult: (r) => {
        const line = toLine(r, casesById.get(r.caseId)!, engine.info.model, a.settings);
        appendFileSync(a.out, `${JSON.stringify(line)}\n`);
        lines.push(line);
        cachedJudgments += r.cachedJudgments;
      },
    });
    err(`This run: ${run.usage.calls} model calls (${run.usage.promptTokens} prompt + ${run.usage.completionTokens} completion tokens), ${cachedJudgments} judgments reused from ${store.path}, ${done.length} candidates already in ${a.out}`);
    const summary = summarize(lines.map((l) => l.aggregate));
    process.stdout.write(formatSummary(summary, agreementOf(lines)));
    return 0;
  } catch (e) {
    if (controller.signal.aborted) {
      err(`Interrupted. Every finished judgment is saved; run the same command again to resume.`);
      return 130;
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
