// Turning a file's bytes into text safely: size limit, binary detection, BOMs, UTF-16 and
// strict UTF-8 with the byte offset of the first bad sequence. Nothing is guessed silently.
import { fail } from './common.ts';
import { formatBytes } from '../lib/bytes.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A zip archive: a local file header first, or only the end record (an empty archive). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b
    && ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06));
}

export function checkSize(file: string, size: number, maxBytes: number): void {
  if (size > maxBytes) {
    fail(file, `byte ${maxBytes}`, `file is ${formatBytes(size)}; the import size limit is ${formatBytes(maxBytes)}`);
  }
}

/**
 * Returns UTF-8 bytes without BOM, ready for the JSON scanner or decoding: UTF-16 with a BOM is
 * transcoded; UTF-16 without a BOM and binary files are refused with the offending offset.
 */
export function normalizeEncoding(file: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) fail(file, 'byte 0', 'the file is empty; expected a chat export, data set or text');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  else if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const label = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    let text: string;
    try {
      text = new TextDecoder(label, { fatal: true }).decode(bytes);
    } catch {
      fail(file, 'byte 2', `invalid ${label.toUpperCase()} text after the byte order mark`);
    }
    bytes = new TextEncoder().encode(text);
  }
  if (bytes.length === 0 || /^\s*$/.test(decodeHead(bytes))) {
    fail(file, 'byte 0', 'the file is empty (only white space); expected a chat export, data set or text');
  }
  const nul = bytes.subarray(0, 8192).indexOf(0);
  if (nul >= 0) {
    const head = bytes.subarray(0, 8192);
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < head.length; i++) if (head[i] === 0) (i % 2 === 0 ? evenNul++ : oddNul++);
    const half = head.length / 2;
    if (oddNul > half * 0.6 || evenNul > half * 0.6) {
      fail(file, `byte ${nul}`, 'looks like UTF-16 text without a byte order mark; expected UTF-8 (save the file as UTF-8)');
    }
    fail(file, `byte ${nul}`, 'binary data (a NUL byte); expected text (JSON, JSONL, CSV or chat text) or a .zip export');
  }
  return bytes;
}

function decodeHead(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
}

/** Strict UTF-8 decoding; on failure names the absolute byte offset of the bad sequence. */
export function decodeUtf8(file: string, bytes: Uint8Array, baseOffset = 0): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    fail(file, `byte ${baseOffset + at}`, 'invalid UTF-8 byte sequence; expected UTF-8 text (save the file as UTF-8)');
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let min: number;
    if (b < 0x80) { i++; continue; }
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    if (i + need >= bytes.length) return i; // truncated sequence at the end
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
