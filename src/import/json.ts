// JSON reading for files of any size. One pass over the bytes guards the nesting depth, finds
// truncation and splits a top-level array into its items, so each item is decoded and parsed
// on its own: a 100 MB export never exists as one string or one object tree at once. When
// JSON.parse refuses a piece, a small validator finds the exact place and what was expected.
import { fail } from './common.ts';
import { decodeUtf8 } from './text.ts';

export const MAX_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function skipSpace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length && isSpace(bytes[i])) i++;
  return i;
}

/** `line 3 column 17 (byte 52)`, columns counted in characters. */
export function place(bytes: Uint8Array, offset: number): string {
  let line = 1;
  let lineStart = 0;
  let i = -1;
  while ((i = bytes.indexOf(0x0a, i + 1)) !== -1 && i < offset) {
    line++;
    lineStart = i + 1;
  }
  const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
  return `line ${line} column ${column} (byte ${offset})`;
}

export interface ScannedJson {
  /** 'array' when the top level is an array: its items' byte ranges are known. */
  kind: 'array' | 'value';
  /** Start and end (exclusive) byte offsets of each top-level array item. */
  starts: number[];
  ends: number[];
  /** Offset right after the top-level value. */
  end: number;
}

/**
 * Scans one JSON value starting at `from` (after white space). Fails on nesting deeper than
 * MAX_DEPTH, on an unterminated string or bracket (truncated file), and on an empty array slot.
 */
export function scanJson(file: string, bytes: Uint8Array, from = 0): ScannedJson {
  const start = skipSpace(bytes, from);
  const kind = bytes[start] === 0x5b ? 'array' : 'value';
  const starts: number[] = [];
  const ends: number[] = [];
  const opens: number[] = [];
  let itemStart = -1;
  let i = start;
  const n = bytes.length;
  const endItem = (at: number, closing: boolean) => {
    if (itemStart < 0) {
      if (closing && starts.length === 0) return; // "[]"
      fail(file, place(bytes, at), `invalid JSON: expected a value before '${closing ? ']' : ','}'`);
    }
    starts.push(itemStart);
    ends.push(at);
    itemStart = -1;
  };
  while (i < n) {
    const b = bytes[i];
    if (b === QUOTE) {
      if (opens.length === 1 && itemStart < 0) itemStart = i;
      let j = i;
      for (;;) {
        j = bytes.indexOf(QUOTE, j + 1);
        if (j < 0) fail(file, place(bytes, n), `invalid JSON: the string opened at byte ${i} never ends; the file looks truncated`);
        let slashes = 0;
        while (bytes[j - 1 - slashes] === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = j + 1;
      if (opens.length === 0) return { kind, starts, ends, end: i };
      continue;
    }
    if (b === 0x5b || b === 0x7b) {
      if (opens.length === 1 && itemStart < 0) itemStart = i;
      opens.push(i);
      if (opens.length > MAX_DEPTH) {
        fail(file, place(bytes, i), `nesting deeper than ${MAX_DEPTH} levels; expected a chat export or data set, not deeply nested data`);
      }
    } else if (b === 0x5d || b === 0x7d) {
      if (opens.length === 0) fail(file, place(bytes, i), `invalid JSON: unexpected '${String.fromCharCode(b)}'`);
      if (kind === 'array' && opens.length === 1) endItem(i, true);
      opens.pop();
      if (opens.length === 0) return { kind, starts, ends, end: i + 1 };
    } else if (b === 0x2c) {
      if (kind === 'array' && opens.length === 1) endItem(i, false);
    } else if (!isSpace(b)) {
      if (opens.length === 1 && itemStart < 0) itemStart = i;
      if (opens.length === 0) {
        // A bare number or literal at the top level: ends at the next delimiter.
        while (i < n && !isSpace(bytes[i]) && bytes[i] !== 0x2c && bytes[i] !== 0x5d && bytes[i] !== 0x7d) i++;
        return { kind, starts, ends, end: i };
      }
    }
    i++;
  }
  const open = opens[opens.length - 1];
  fail(file, place(bytes, n), `invalid JSON: unexpected end of file; expected '${bytes[open] === 0x5b ? ']' : '}'}' to close the one opened at byte ${open} (the file looks truncated)`);
}

/** Offset of the first bracket nested deeper than MAX_DEPTH in bytes (outside strings), or -1. */
export function tooDeepAt(bytes: Uint8Array): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > MAX_DEPTH) return i;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return -1;
}

/** Decodes and parses bytes [start, end); on a syntax error, names the exact place. */
export function parseRange(file: string, bytes: Uint8Array, start: number, end: number): unknown {
  const slice = bytes.subarray(start, end);
  const text = decodeUtf8(file, slice, start);
  try {
    return JSON.parse(text);
  } catch (error) {
    const found = locateSyntaxError(text);
    if (!found) fail(file, place(bytes, start), `invalid JSON: ${(error as Error).message}`);
    const offset = start + new TextEncoder().encode(text.slice(0, found.pos)).length;
    const at = found.pos < text.length ? `found ${JSON.stringify(text.slice(found.pos, found.pos + 12))}` : 'found the end of the data (the file looks truncated)';
    fail(file, place(bytes, offset), `invalid JSON: expected ${found.expected}, ${at}`);
  }
}

/** Checks that only white space follows the top-level value. */
export function expectEnd(file: string, bytes: Uint8Array, end: number): void {
  const rest = skipSpace(bytes, end);
  if (rest < bytes.length) fail(file, place(bytes, rest), 'invalid JSON: unexpected data after the end of the top-level value');
}

class SyntaxAt {
  constructor(readonly pos: number, readonly expected: string) {}
}

/** Finds the first JSON syntax error in text (JSON.parse says what, not where). */
export function locateSyntaxError(s: string): SyntaxAt | null {
  let i = 0;
  const space = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const string = () => {
    i++;
    for (;;) {
      if (i >= s.length) throw new SyntaxAt(i, "a closing '\"'");
      const c = s.charCodeAt(i);
      if (c === 0x22) { i++; return; }
      if (c < 0x20) throw new SyntaxAt(i, 'no raw control character inside a string (escape it)');
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) throw new SyntaxAt(i, 'four hex digits after \\u');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new SyntaxAt(i, 'a valid escape (\\", \\\\, \\n, \\uXXXX, ...)');
        i += 2;
        continue;
      }
      i++;
    }
  };
  // The items of an object or array, from its opening bracket to its closing one.
  const items = (close: string, item: () => void, itemName: string) => {
    i++;
    space();
    if (s[i] === close) { i++; return; }
    for (;;) {
      item();
      space();
      if (s[i] === ',') { i++; continue; }
      if (s[i] === close) { i++; return; }
      throw new SyntaxAt(i, `',' or '${close}' after ${itemName}`);
    }
  };
  const property = () => {
    space();
    if (s[i] !== '"') throw new SyntaxAt(i, 'a property name in double quotes');
    string();
    space();
    if (s[i] !== ':') throw new SyntaxAt(i, "':' after a property name");
    i++;
    value();
  };
  const value = (): void => {
    space();
    const c = s[i];
    if (c === '{') return items('}', property, 'a property value');
    if (c === '[') return items(']', value, 'an array item');
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i)) { i += word.length; return; }
    }
    number.lastIndex = i;
    const m = number.exec(s);
    if (m && m[0].length > 0) { i += m[0].length; return; }
    throw new SyntaxAt(i, 'a JSON value (object, array, string, number, true, false or null)');
  };
  try {
    value();
    space();
    if (i < s.length) return new SyntaxAt(i, 'the end of the value');
    return null;
  } catch (error) {
    if (error instanceof SyntaxAt) return error;
    throw error;
  }
}

/** A JSON document read from bytes: a lazily parsed top-level array, or a single value. */
export type JsonDoc =
  | { kind: 'array'; length: number; item(index: number): unknown; raw(index: number): Uint8Array }
  | { kind: 'value'; value: unknown };

/**
 * A file read in pieces, synchronously (FileReaderSync in the import worker), so that a large one
 * never has to be in memory whole.
 */
export interface PieceReader { size: number; read(start: number, end: number): Uint8Array }

/** Bytes read at a time from a PieceReader. */
export const WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Item ranges of a top-level JSON array, read window by window: the same ranges as scanJson.
 * Null when the file is anything else or anything about it is unusual (nesting too deep, a bad
 * bracket, an empty slot, data after the array, a truncated end): scanJson over the whole bytes
 * then names the problem exactly as it always has.
 */
export function scanArrayPieces(reader: PieceReader, window = WINDOW_BYTES): { starts: number[]; ends: number[] } | null {
  const starts: number[] = [];
  const ends: number[] = [];
  let depth = 0;
  let inString = false;
  /** Backslashes that ended the last window inside a string: they may escape a quote that starts this one. */
  let carried = 0;
  let itemStart = -1;
  let closed = false;
  for (let base = 0; base < reader.size; base += window) {
    const bytes = reader.read(base, Math.min(reader.size, base + window));
    let k = 0;
    while (k < bytes.length) {
      if (inString) {
        // To the closing quote: the next one not escaped by an odd run of backslashes.
        let j = k - 1;
        for (;;) {
          j = bytes.indexOf(QUOTE, j + 1);
          if (j < 0) break;
          let slashes = 0;
          while (j - 1 - slashes >= 0 && bytes[j - 1 - slashes] === BACKSLASH) slashes++;
          if (slashes === j) slashes += carried;
          if (slashes % 2 === 0) break;
        }
        if (j < 0) {
          let trailing = 0;
          while (trailing < bytes.length && bytes[bytes.length - 1 - trailing] === BACKSLASH) trailing++;
          carried = trailing === bytes.length ? carried + trailing : trailing;
          break;
        }
        inString = false;
        k = j + 1;
        continue;
      }
      const b = bytes[k];
      const at = base + k;
      k++;
      if (isSpace(b)) continue;
      if (closed || (depth === 0 && b !== 0x5b)) return null; // not an array, or data after it
      if (depth === 1 && itemStart < 0 && b !== 0x2c && b !== 0x5d) itemStart = at;
      if (b === QUOTE) {
        inString = true;
        carried = 0;
      } else if (b === 0x5b || b === 0x7b) {
        if (++depth > MAX_DEPTH) return null;
      } else if (b === 0x5d || b === 0x7d) {
        if (depth === 1) {
          if (b !== 0x5d) return null;
          if (itemStart >= 0) { starts.push(itemStart); ends.push(at); }
          else if (starts.length > 0) return null; // "[1,]"
          closed = true;
        }
        depth--;
      } else if (b === 0x2c && depth === 1) {
        if (itemStart < 0) return null; // an empty slot
        starts.push(itemStart);
        ends.push(at);
        itemStart = -1;
      }
    }
  }
  return closed ? { starts, ends } : null;
}

/** Item ranges already found, by reader. */
const scans = new WeakMap<PieceReader, ReturnType<typeof scanArrayPieces>>();

/**
 * A top-level JSON array read from a PieceReader: items are read and parsed one at a time, so
 * the file is never whole in memory. Null when it is not a well-formed array (see
 * scanArrayPieces): read it whole then. `whole` reads every byte, only to name a bad item's place.
 */
export function readJsonArrayPieces(file: string, reader: PieceReader, whole: () => Uint8Array): Extract<JsonDoc, { kind: 'array' }> | null {
  // The import worker reads a file twice (preview, then import): the second time needs no scan.
  let scanned = scans.get(reader);
  if (scanned === undefined) scans.set(reader, (scanned = scanArrayPieces(reader)));
  if (!scanned) return null;
  const { starts, ends } = scanned;
  let cache: { start: number; bytes: Uint8Array } = { start: 0, bytes: new Uint8Array(0) };
  const raw = (index: number) => {
    const start = starts[index];
    const end = ends[index];
    if (start < cache.start || end > cache.start + cache.bytes.length) {
      cache = { start, bytes: reader.read(start, Math.min(reader.size, Math.max(end, start + WINDOW_BYTES))) };
    }
    return cache.bytes.subarray(start - cache.start, end - cache.start);
  };
  return {
    kind: 'array',
    length: starts.length,
    item: (index) => {
      const text = decodeUtf8(file, raw(index), starts[index]);
      try {
        return JSON.parse(text);
      } catch {
        // Line and column count from the start of the file.
        return parseRange(file, whole(), starts[index], ends[index]);
      }
    },
    raw,
  };
}

export function readJson(file: string, bytes: Uint8Array): JsonDoc {
  const scanned = scanJson(file, bytes);
  expectEnd(file, bytes, scanned.end);
  if (scanned.kind === 'value') {
    return { kind: 'value', value: parseRange(file, bytes, skipSpace(bytes, 0), scanned.end) };
  }
  const { starts, ends } = scanned;
  return {
    kind: 'array',
    length: starts.length,
    item: (index) => parseRange(file, bytes, starts[index], ends[index]),
    raw: (index) => bytes.subarray(starts[index], ends[index]),
  };
}
