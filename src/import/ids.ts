// Content-hash ids for imported records, the same strings src/lib/hash.ts `contentId` gives,
// computed synchronously. An export holds hundreds of thousands of messages, and Web Crypto's
// per-call cost (a promise and a trip to another thread each time) dominated the whole import;
// plain SHA-256 over the same bytes is many times faster here. A test checks both agree.
import { stableStringify } from '../lib/hash.ts';
import type { Role } from '../domain/records.ts';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Int32Array(64);
const H = new Int32Array(8);
const encoder = new TextEncoder();
let textBuffer = new Uint8Array(1 << 16);
const tail = new Uint8Array(128);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex32 = (x: number) => HEX[(x >>> 24) & 0xff] + HEX[(x >>> 16) & 0xff] + HEX[(x >>> 8) & 0xff] + HEX[x & 0xff];

/** SHA-256 of bytes, read in place (no copy of a large file), as lowercase hex. */
export function sha256Bytes(bytes: Uint8Array): string {
  digestInto(bytes);
  return hex32(H[0]) + hex32(H[1]) + hex32(H[2]) + hex32(H[3]) + hex32(H[4]) + hex32(H[5]) + hex32(H[6]) + hex32(H[7]);
}

/** The first 20 hex digits of the SHA-256 of a string: what content ids keep. */
function sha256Hex20(text: string): string {
  if (textBuffer.length < text.length * 3) textBuffer = new Uint8Array(Math.max(text.length * 3, textBuffer.length * 2));
  digestInto(textBuffer.subarray(0, encoder.encodeInto(text, textBuffer).written));
  return hex32(H[0]) + hex32(H[1]) + hex32(H[2]).slice(0, 4);
}

function digestInto(bytes: Uint8Array): void {
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
  H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  const n = bytes.length;
  const whole = n - (n % 64);
  compress(bytes, 0, whole);
  // The last partial block, the 0x80 marker and the bit length, in one or two blocks.
  const rest = n - whole;
  const padded = rest + 9 <= 64 ? 64 : 128;
  tail.fill(0, 0, padded);
  tail.set(bytes.subarray(whole));
  tail[rest] = 0x80;
  const bits = n * 8;
  tail[padded - 5] = Math.floor(n / 0x20000000); // bits above 2^32
  tail[padded - 4] = bits >>> 24;
  tail[padded - 3] = bits >>> 16;
  tail[padded - 2] = bits >>> 8;
  tail[padded - 1] = bits;
  compress(tail, 0, padded);
}

function compress(b: Uint8Array, from: number, to: number): void {
  let h0 = H[0], h1 = H[1], h2 = H[2], h3 = H[3], h4 = H[4], h5 = H[5], h6 = H[6], h7 = H[7];
  for (let off = from; off < to; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15];
      const w2 = W[i - 2];
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h0, c1 = h1, c2 = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & c1) ^ (a & c2) ^ (c1 & c2))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0;
      d = c2; c2 = c1; c1 = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + c1) | 0; h2 = (h2 + c2) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7;
}

/** Same result as `contentId(kind, content)` from src/lib/hash.ts, without awaiting. */
export function contentIdSync(kind: string, content: unknown): string {
  const text = typeof content === 'string' ? content : stableStringify(content);
  return `${kind}_${sha256Hex20(text)}`;
}

/**
 * `contentIdSync('msg', {c, i, r, t})` for the most frequent record, with the stable JSON
 * written out directly (keys already in sorted order) instead of generically.
 */
export function messageId(conversationId: string, index: number, role: Role, text: string): string {
  const json = `{"c":${JSON.stringify(conversationId)},"i":${index},"r":"${role}","t":${JSON.stringify(text)}}`;
  return `msg_${sha256Hex20(json)}`;
}
