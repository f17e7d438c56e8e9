// The importers' single entry: detects each file's format from its content (the extension is
// only a hint), parses it into a bundle of records, and reports every file it cannot read as an
// issue naming the file, the place and what was expected. A file with an issue contributes no
// records at all. Pure: no DOM, no store, so the CLI, the worker and tests share it.
import { unzipSync } from 'fflate';
import type { ImportBundle, RecordSink } from '../domain/bundle.ts';
import { ImportError, type ImportIssue } from './issues.ts';
import { fail, fileStem } from './common.ts';
import type { Case } from '../domain/records.ts';
import { sha256Bytes } from './ids.ts';
import { parseChatGpt, type ExportOwner } from './chatgpt.ts';
import { parseClaude } from './claude.ts';
import { parseCsv } from './csv.ts';
import { readJson, readJsonArrayPieces, scanJson, skipSpace, type JsonDoc, type PieceReader } from './json.ts';
import { parseOpenAiJsonl } from './openai-jsonl.ts';
import {
  attachCriteria, parsePersonaEmpPredictions, parsePersonaEmpSessions, predictionsLayout, readCriteriaFile,
  readPredictionEntries, type SessionsResult,
} from './personaemp.ts';
import { TURN_MARKER, parsePlainText } from './plaintext.ts';
import { parseShareGpt } from './sharegpt.ts';
import { checkSize, decodeUtf8, isZip, normalizeEncoding } from './text.ts';
import { formatBytes } from '../lib/bytes.ts';

export type { ImportBundle, RecordSink } from '../domain/bundle.ts';
export type { ImportIssue } from './issues.ts';
export { countBundle } from '../domain/bundle.ts';

/**
 * A file to import: its bytes, or pieces to read from it (the import worker's chosen files), so
 * that a large JSON array is read item by item and never held whole.
 */
export type InputFile = { name: string; bytes: Uint8Array } | { name: string; pieces: PieceReader };
export type { PieceReader } from './json.ts';
export interface ParseResult { bundles: ImportBundle[]; issues: ImportIssue[] }
export interface ParseOptions {
  /** Largest file (or zip entry) accepted, in bytes. */
  maxBytes?: number;
  /**
   * Where a store is at hand (the app's import worker): the stored cases of these PersonaEmp
   * sessions, so that a criteria file can attach to sessions imported earlier.
   */
  storedCases?: (sessionIds: string[]) => Promise<Case[]>;
  /**
   * Receives the records of the large formats (chat exports, CSV) in bounded chunks while they
   * are parsed; the returned bundles then hold only the rest, and count the chunks in `flushed`.
   */
  sink?: RecordSink;
  /** How far the parse of one file has got: `done` of `total` bytes (CSV) or top-level items (JSON). */
  onProgress?: (progress: ParseProgress) => void;
}

export interface ParseProgress { file: string; done: number; total: number; unit: 'bytes' | 'items' }

/** What parseText and the importers below it need from the options. */
interface ParseContext { maxBytes: number; sink?: RecordSink; onProgress?: ParseOptions['onProgress'] }

export const DEFAULT_MAX_BYTES = 1024 ** 3;

const KNOWN_FORMATS = 'a ChatGPT or Claude export (.zip or conversations.json), ShareGPT JSON, OpenAI chat JSONL, ' +
  'PersonaEmp sessions, predictions or criteria JSON, a CSV with query and response columns, or chat text with "User:" / "Assistant:" turns';

type ArrayDoc = Extract<JsonDoc, { kind: 'array' }>;

/** Predictions and criteria files wait until every sessions file of the same call has been read. */
interface PendingFile { file: string; doc: ArrayDoc }

type Parsed =
  | { kind: 'bundle'; bundle: ImportBundle }
  | { kind: 'sessions'; result: SessionsResult }
  | { kind: 'predictions'; pending: PendingFile }
  | { kind: 'criteria'; pending: PendingFile };

export async function parseFiles(files: InputFile[], options: ParseOptions = {}): Promise<ParseResult> {
  const context: ParseContext = { ...options, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES };
  const bundles: ImportBundle[] = [];
  const issues: ImportIssue[] = [];
  const sessions: SessionsResult[] = [];
  const failedFiles: string[] = [];
  const predictions: PendingFile[] = [];
  const criteria: PendingFile[] = [];
  for (const file of files) {
    try {
      const parsed = await parseOne(file, context);
      if (parsed.kind === 'bundle') bundles.push(parsed.bundle);
      else if (parsed.kind === 'sessions') {
        sessions.push(parsed.result);
        bundles.push(parsed.result.bundle);
      } else if (parsed.kind === 'predictions') predictions.push(parsed.pending);
      else criteria.push(parsed.pending);
    } catch (error) {
      issues.push(toIssue(file.name, error));
      failedFiles.push(file.name);
    }
  }
  const systems = new Map<string, string>();
  for (const pending of predictions) {
    try {
      // Each predictions file is one system, named after the file: two files with one name would merge.
      const system = fileStem(pending.file);
      const other = systems.get(system);
      if (other !== undefined) fail(pending.file, 'file', `${other} in this import is also named "${system}"; each predictions file is a system named after its file: rename one`);
      bundles.push(await pairPredictions(pending, sessions, failedFiles));
      systems.set(system, pending.file);
    } catch (error) {
      issues.push(toIssue(pending.file, error));
    }
  }
  for (const pending of criteria) {
    try {
      const read = readCriteriaFile(pending.file, pending.doc);
      const parsedIds = new Set(sessions.flatMap((s) => s.sessions.map((x) => x.sessionId)));
      const missing = [...new Set(read.entries.map((e) => e.sessionId))].filter((id) => !parsedIds.has(id));
      // undefined: no store to look in (the CLI), so the sessions must come in the same call.
      const stored = options.storedCases ? (missing.length ? await options.storedCases(missing) : []) : undefined;
      const attached = attachCriteria(pending.file, read, sessions.map((s) => ({ file: s.bundle.file, sessions: s.sessions })), stored, failedFiles);
      if (attached.bundle) bundles.push(attached.bundle);
      issues.push(...attached.issues);
    } catch (error) {
      issues.push(toIssue(pending.file, error));
    }
  }
  return { bundles, issues };
}

/** Text typed or pasted into the app: any supported format, most often "User:" / "Assistant:" turns. */
export function parsePastedText(text: string, name = 'pasted text', options: ParseOptions = {}): Promise<ParseResult> {
  return parseFiles([{ name, bytes: new TextEncoder().encode(text) }], options);
}

function toIssue(file: string, error: unknown): ImportIssue {
  if (error instanceof ImportError) return error.issue;
  // A RangeError here is most likely memory or string length exhaustion on a huge file.
  return { file, where: 'file', message: `could not be read: ${(error as Error)?.message ?? String(error)}` };
}

/** Pairs a predictions file with the one sessions file of the call whose shape it fits. */
async function pairPredictions(pending: PendingFile, sessions: SessionsResult[], failedFiles: string[]): Promise<ImportBundle> {
  const { file } = pending;
  if (sessions.length === 0 && failedFiles.length > 0) {
    fail(file, '$', `not imported: no PersonaEmp sessions file could be read to align it with (failed: ${failedFiles.join(', ')}); fix it and import both together`);
  }
  if (sessions.length === 0) {
    fail(file, '$', 'a PersonaEmp predictions file must be imported together with its sessions file (choose both files at once)');
  }
  const entries = readPredictionEntries(file, pending.doc);
  const fits = sessions.map((s) => ({ s, fit: predictionsLayout(entries, s.bundle.file, s.sessions) }));
  const matches = fits.filter((f) => 'layout' in f.fit);
  if (matches.length === 1) {
    const { s, fit } = matches[0];
    return parsePersonaEmpPredictions(entries, (fit as { layout: 'per-session' | 'flat' }).layout, s.sessions);
  }
  if (matches.length > 1) {
    fail(file, '$', `its ${entries.responses.length} entries fit several sessions files (${matches.map((m) => m.s.bundle.file).join(', ')}); import one sessions file with its predictions at a time`);
  }
  if (fits.length === 1) {
    const mismatch = fits[0].fit as { where: string; message: string };
    fail(file, mismatch.where, mismatch.message);
  }
  const counts = sessions.map((s) => `${s.bundle.file}: ${s.sessions.length} sessions, ${s.sessions.reduce((n, x) => n + x.cases.length, 0)} queries`).join('; ');
  fail(file, '$', `its ${entries.responses.length} entries fit none of the sessions files (${counts}): expected one entry per session, responses[j] answering queries[j]`);
}

async function parseOne(file: InputFile, context: ParseContext): Promise<Parsed> {
  if ('pieces' in file) {
    return await parseArrayInPieces(file.name, file.pieces, context)
      ?? parseOne({ name: file.name, bytes: file.pieces.read(0, file.pieces.size) }, context);
  }
  checkSize(file.name, file.bytes.length, context.maxBytes);
  if (isZip(file.bytes)) return { kind: 'bundle', bundle: await parseZip(file, context) };
  const bytes = normalizeEncoding(file.name, file.bytes);
  return parseText(file.name, bytes, {}, context);
}

/** Enough of a file's start to tell its kind and encoding (normalizeEncoding looks at 8 KiB). */
const HEAD_BYTES = 64 * 1024;

/**
 * A file that is a top-level JSON array (a chat export, a data set), read item by item from its
 * pieces; null for any other file, which is then read whole. A file it refuses is refused with
 * the same issue as when read whole (the whole bytes are read to say where, if needed).
 */
async function parseArrayInPieces(name: string, pieces: PieceReader, context: ParseContext): Promise<Parsed | null> {
  checkSize(name, pieces.size, context.maxBytes);
  const head = pieces.read(0, Math.min(pieces.size, HEAD_BYTES));
  const ext = extension(name);
  if (isZip(head) || ext === 'jsonl' || ext === 'ndjson') return null;
  // An empty, binary or UTF-16 file fails here as it would whole; one with a BOM is read whole.
  const text = normalizeEncoding(name, head);
  if (text !== head || head[skipSpace(head, 0)] !== 0x5b) return null;
  const whole = () => pieces.read(0, pieces.size);
  const doc = readJsonArrayPieces(name, pieces, whole);
  return doc && parseJson(name, whole, doc, {}, () => ({ digest: sha256Bytes(whole()) }), context);
}

function extension(name: string): string {
  return /\.([A-Za-z0-9]+)$/.exec(name)?.[1].toLowerCase() ?? '';
}

async function parseText(name: string, bytes: Uint8Array, owner: ExportOwner, context: ParseContext): Promise<Parsed> {
  const ext = extension(name);
  const first = bytes[skipSpace(bytes, 0)];
  const digest = () => ({ digest: sha256Bytes(bytes) });
  if (ext === 'jsonl' || ext === 'ndjson') {
    return { kind: 'bundle', bundle: await parseOpenAiJsonl(name, bytes, digest()) };
  }
  if (first === 0x5b /* [ */ || first === 0x7b /* { */ || ext === 'json') {
    if (first === 0x7b) {
      // Several objects one after another: JSONL without the extension.
      const scanned = scanJson(name, bytes);
      if (skipSpace(bytes, scanned.end) < bytes.length) {
        return { kind: 'bundle', bundle: await parseOpenAiJsonl(name, bytes, digest()) };
      }
    }
    return parseJson(name, () => bytes, readJson(name, bytes), owner, digest, context);
  }
  const head = decodeUtf8(name, bytes.subarray(0, Math.min(bytes.length, 4096)).subarray(0, safeCut(bytes, 4096)));
  const firstLine = head.split(/\r?\n/, 1)[0].toLowerCase();
  const text = () => decodeUtf8(name, bytes);
  if (ext === 'csv' || ext === 'tsv' || (/query/.test(firstLine) && /response/.test(firstLine) && /[,\t;]/.test(firstLine))) {
    const progress = context.onProgress && ((done: number) => context.onProgress!({ file: name, done, total: bytes.length, unit: 'bytes' }));
    return { kind: 'bundle', bundle: await parseCsv(name, bytes, digest(), { sink: context.sink, onProgress: progress }) };
  }
  const firstTextLine = head.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  if (ext === 'txt' || ext === 'md' || TURN_MARKER.test(firstTextLine) || name === 'pasted text') {
    return { kind: 'bundle', bundle: await parsePlainText(name, text(), digest(), `Chat: ${fileStem(name)}`) };
  }
  fail(name, 'line 1', `unrecognized content; expected ${KNOWN_FORMATS}`);
}

/** Length of the head to decode without cutting a UTF-8 sequence in two. */
function safeCut(bytes: Uint8Array, limit: number): number {
  if (bytes.length <= limit) return bytes.length;
  let cut = limit;
  while (cut > limit - 4 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return cut;
}

/** `whole`: the file's bytes, for the formats read whole (OpenAI chat JSON, a single object). */
async function parseJson(
  name: string, whole: () => Uint8Array, doc: JsonDoc, owner: ExportOwner, digest: () => { digest: string }, context: ParseContext,
): Promise<Parsed> {
  if (doc.kind === 'value') {
    const value = doc.value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if ('messages' in value || 'input' in value) {
        return { kind: 'bundle', bundle: await parseOpenAiJsonl(name, whole(), digest()) };
      }
      if ('mapping' in value || 'chat_messages' in value || 'session_id' in value) {
        // One conversation or session saved on its own: read it as a list of one.
        return parseJson(name, whole, { kind: 'array', length: 1, item: () => value, raw: whole }, owner, digest, context);
      }
      fail(name, '$', `expected a JSON array of conversations or sessions (${KNOWN_FORMATS}), found an object with keys ${keys.slice(0, 8).join(', ') || '(none)'}`);
    }
    fail(name, '$', `expected a JSON array of conversations or sessions, found ${describeValue(value)}`);
  }
  if (doc.length === 0) fail(name, '$', 'expected conversations or sessions, found an empty array');
  const first = doc.item(0);
  const keys = first && typeof first === 'object' && !Array.isArray(first) ? Object.keys(first) : [];
  const has = (key: string) => keys.includes(key);
  // An export without its account file: its first and last conversations identify the owner
  // (hashing the whole file would cost a second copy of it in memory).
  const ends = () => ({ first: sha256Bytes(doc.raw(0)), last: sha256Bytes(doc.raw(doc.length - 1)) });
  if (has('mapping')) return { kind: 'bundle', bundle: await parseChatGpt(name, tracked(name, doc, context), owner, owner.id ?? ends(), context.sink) };
  if (has('chat_messages')) return { kind: 'bundle', bundle: await parseClaude(name, tracked(name, doc, context), owner, owner.id ?? ends(), context.sink) };
  // Criteria and predictions entries may carry a session_id too: they are told by their lists first.
  if (has('criterias')) return { kind: 'criteria', pending: { file: name, doc } };
  if (has('responses') && !has('queries')) return { kind: 'predictions', pending: { file: name, doc } };
  if (has('session_id') || (has('queries') && has('conversation'))) {
    return { kind: 'sessions', result: await parsePersonaEmpSessions(name, doc) };
  }
  if (has('conversations')) return { kind: 'bundle', bundle: await parseShareGpt(name, doc, digest()) };
  const found = keys.length > 0 ? `an object with keys ${keys.slice(0, 8).join(', ')}` : describeValue(first);
  fail(name, '$[0]', `expected an item of ${KNOWN_FORMATS}; found ${found}`);
}

/** The same array, reporting each item read as progress. */
function tracked(name: string, doc: ArrayDoc, context: ParseContext): ArrayDoc {
  const report = context.onProgress;
  if (!report) return doc;
  return { ...doc, item: (index) => { report({ file: name, done: index + 1, total: doc.length, unit: 'items' }); return doc.item(index); } };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}

async function parseZip(file: Extract<InputFile, { bytes: Uint8Array }>, context: ParseContext): Promise<ImportBundle> {
  const { maxBytes } = context;
  const wanted = (name: string) => /(^|\/)(conversations|users?)\.json$/.test(name) && !name.startsWith('__MACOSX/');
  const names: string[] = [];
  const unzip = (filter: Parameters<typeof unzipSync>[1]) => {
    try {
      return unzipSync(file.bytes, filter);
    } catch (error) {
      if (error instanceof ImportError) throw error;
      fail(file.name, 'zip archive', `cannot be unpacked (${(error as Error).message}); expected a complete .zip as downloaded (the file may be truncated)`);
    }
  };
  // First only the central directory: what the archive declares, before anything is inflated.
  let declared = 0;
  unzip({
    filter: (entry) => {
      names.push(entry.name);
      if (wanted(entry.name)) declared += entry.originalSize;
      return false;
    },
  });
  if (names.length === 0) {
    fail(file.name, 'zip archive', 'is an empty .zip archive (no files inside); expected a ChatGPT or Claude data export');
  }
  if (declared > maxBytes) {
    const ratio = declared / Math.max(file.bytes.length, 1);
    const bomb = ratio > 100 ? ` (${Math.round(ratio).toLocaleString('en-US')} times the archive's own size: a zip bomb, or not a chat export)` : '';
    fail(file.name, 'zip archive', `declares ${formatBytes(declared)} of conversations to unpack${bomb}; the import size limit is ${formatBytes(maxBytes)}, so it was refused without unpacking`);
  }
  const entries = unzip({ filter: (entry) => wanted(entry.name) });
  const shallowest = (base: string) => Object.keys(entries)
    .filter((n) => n === base || n.endsWith(`/${base}`))
    .sort((a, b) => a.split('/').length - b.split('/').length)[0];
  const conversations = shallowest('conversations.json');
  if (!conversations) {
    const listing = names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : '');
    fail(file.name, 'zip archive', `expected a conversations.json inside (a ChatGPT or Claude data export), found ${listing || 'no files'}`);
  }
  try {
    const owner = { ...readOwner(entries, shallowest('user.json'), shallowest('users.json')), archive: file.name };
    const bytes = normalizeEncoding(conversations, entries[conversations]);
    // Records name the zip the person chose as their file, those streamed to the sink too.
    const given = context.sink;
    const sink = typeof given === 'function' ? (chunk: ImportBundle) => given(relabel(chunk, file.name)) : given;
    const parsed = await parseText(conversations, bytes, owner, { ...context, sink });
    if (parsed.kind !== 'bundle' || (parsed.bundle.format !== 'chatgpt' && parsed.bundle.format !== 'claude')) {
      fail(conversations, '$', 'expected ChatGPT or Claude conversations in the export\'s conversations.json');
    }
    return relabel(parsed.bundle, file.name);
  } catch (error) {
    if (error instanceof ImportError) {
      throw new ImportError({ file: file.name, where: `${conversations} ${error.issue.where}`, message: error.issue.message });
    }
    throw error;
  }
}

/** Records from a zip entry name the zip the person chose as their file. */
function relabel(bundle: ImportBundle, file: string): ImportBundle {
  bundle.file = file;
  for (const list of [bundle.people, bundle.conversations, bundle.cases]) {
    for (const record of list) record.source = { ...record.source, file };
  }
  return bundle;
}

/** The account owner from the export's user.json (ChatGPT) or users.json (Claude), when present. */
function readOwner(entries: Record<string, Uint8Array>, userJson?: string, usersJson?: string): ExportOwner {
  const read = (name?: string): unknown => {
    if (!name) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(entries[name]));
    } catch {
      fail(name, '$', 'expected the account description as JSON');
    }
  };
  const user = read(userJson) as Record<string, unknown> | undefined;
  if (user && typeof user.id === 'string') return { id: user.id };
  const users = read(usersJson);
  const first = Array.isArray(users) ? users[0] as Record<string, unknown> : undefined;
  if (first && typeof first.uuid === 'string') {
    return { id: first.uuid, ...(typeof first.full_name === 'string' && first.full_name ? { name: first.full_name } : {}) };
  }
  return {};
}
