import { describe, expect, it } from 'vitest';
import { contentId, sha256, stableStringify } from '../../src/lib/hash.ts';

describe('content hashes', () => {
  it('ignores key order', async () => {
    expect(stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(await sha256({ a: 1, b: 2 })).toBe(await sha256({ b: 2, a: 1 }));
  });
  it('matches the SHA-256 test vector', async () => {
    expect(await sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('prefixes ids with their kind', async () => {
    expect(await contentId('msg', 'hello')).toMatch(/^msg_[0-9a-f]{20}$/);
  });
});
