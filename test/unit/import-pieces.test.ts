// Files read in pieces, as the import worker reads the files the user chose: a JSON array is
// scanned window by window and its items read one at a time, giving exactly what reading the
// whole file gives, while never asking for more than a window at once.
import { describe, expect, it } from 'vitest';
import { countBundle, parseFiles, type ImportBundle, type PieceReader } from '../../src/import/index.ts';
import { WINDOW_BYTES, scanArrayPieces, scanJson } from '../../src/import/json.ts';

const encode = (text: string) => new TextEncoder().encode(text);

/** Reads from bytes, recording the length of every read. */
function piecesOf(bytes: Uint8Array): PieceReader & { reads: number[] } {
  const reads: number[] = [];
  return { size: bytes.length, reads, read: (start, end) => { reads.push(end - start); return bytes.slice(start, end); } };
}

/** A ChatGPT export of linear conversations of 12 messages, with escapes and non-ASCII text. */
function chatGptExport(conversations: number): Uint8Array {
  const items: string[] = [];
  for (let c = 0; c < conversations; c++) {
    const mapping: Record<string, unknown> = { root: { id: 'root', message: null, parent: null, children: ['m0'] } };
    for (let m = 0; m < 12; m++) {
      mapping[`m${m}`] = {
        id: `m${m}`, parent: m === 0 ? 'root' : `m${m - 1}`, children: m < 11 ? [`m${m + 1}`] : [],
        message: { id: `m${m}`, author: { role: m % 2 ? 'assistant' : 'user' }, create_time: 1.7e9 + c * 100 + m,
          content: { content_type: 'text', parts: [`${c}/${m}: a "quoted" \\ back\\slash, café 😊 ${'and more words '.repeat(20 + (c * 7 + m) % 40)}`] } },
      };
    }
    items.push(JSON.stringify({ id: `conv-${c}`, title: `Chat ${c}`, create_time: 1.7e9 + c * 100, current_node: 'm11', mapping }));
  }
  return encode(`[${items.join(',\n')}]\n`);
}

describe('scanning a JSON array in windows', () => {
  const valid = [
    '[]', ' [ ] ', '[1]', '[1, "two", {"a": [3, {"b": "]},[{"}]}, null ]\n',
    '["a \\" quote", "a \\\\", "\\\\\\"", {"k": "\\\\"}]', '[[[]],[{}],"x"]',
    '["\\\\\\\\\\"]", "]\\"\\\\", 2]', `[${JSON.stringify('\\'.repeat(9) + '"' + '\\'.repeat(4))}, "end"]`,
  ];
  it.each(valid)('finds the same items as scanJson in %s, whatever the window', (text) => {
    const bytes = encode(text);
    const whole = scanJson('t.json', bytes);
    for (let window = 1; window <= bytes.length + 1; window++) {
      expect(scanArrayPieces(piecesOf(bytes), window), `window ${window}`).toEqual({ starts: whole.starts, ends: whole.ends });
    }
  });

  it.each(['', '  ', '{"a": 1}', '"text"', '[1,]', '[,1]', '[1,,2]', '[1] 2', '[1', '["open', '[1}', `${'['.repeat(200)}${']'.repeat(200)}`])(
    'leaves %j to the whole-file scan, which says what is wrong', (text) => {
      expect(scanArrayPieces(piecesOf(encode(text)), 3)).toBeNull();
    },
  );
});

describe('a chat export read in pieces', () => {
  it('gives the records reading it whole gives, reading at most one window at a time', async () => {
    const bytes = chatGptExport(2_600);
    expect(bytes.length).toBeGreaterThan(2 * WINDOW_BYTES);
    const whole = await parseFiles([{ name: 'conversations.json', bytes }]);
    const pieces = piecesOf(bytes);
    const inPieces = await parseFiles([{ name: 'conversations.json', pieces }]);
    expect(whole.issues).toEqual([]);
    // The same records and ids (only the import time, `createdAt`, differs between two parses).
    const withoutTimes = (r: object) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'createdAt' ? undefined : v)));
    expect(withoutTimes(inPieces)).toEqual(withoutTimes(whole));
    expect(inPieces.bundles[0].people[0].id).toBe(whole.bundles[0].people[0].id);
    expect(inPieces.bundles[0].messages).toHaveLength(2_600 * 12);
    expect(Math.max(...pieces.reads)).toBeLessThanOrEqual(WINDOW_BYTES);
    // One scan, then the items: about twice the file, never the whole of it at once.
    const read = pieces.reads.reduce((a, b) => a + b, 0);
    expect(read).toBeLessThan(2.5 * bytes.length);
    // Read again (the worker's import after its preview): only the items, the scan is remembered.
    pieces.reads.length = 0;
    await parseFiles([{ name: 'conversations.json', pieces }]);
    expect(pieces.reads.reduce((a, b) => a + b, 0)).toBeLessThan(1.3 * bytes.length);
  });

  it("counts for the preview ('count') what a sink that keeps the records receives", async () => {
    const bytes = chatGptExport(300);
    const kept: ImportBundle[] = [];
    const written = await parseFiles([{ name: 'conversations.json', pieces: piecesOf(bytes) }], { sink: async (c) => { kept.push(c); } });
    const counted = await parseFiles([{ name: 'conversations.json', pieces: piecesOf(bytes) }], { sink: 'count' });
    // The kept bundle counts what went to the sink (`flushed`) and what is left in it.
    expect(kept.reduce((n, c) => n + c.messages.length, 0) + written.bundles[0].messages.length).toBe(300 * 12);
    expect(countBundle(written.bundles[0]).messages).toBe(300 * 12);
    expect(counted.bundles.map(countBundle)).toEqual(written.bundles.map(countBundle));
    expect(counted.bundles[0].messages).toEqual([]);
    expect(counted.bundles[0].notes).toEqual(written.bundles[0].notes);
  });

  it('names a bad item by line and column of the whole file', async () => {
    const text = new TextDecoder().decode(chatGptExport(3)).replace('"title":"Chat 2"', '"title":"Chat 2" "oops"');
    const bytes = encode(text);
    const whole = await parseFiles([{ name: 'conversations.json', bytes }]);
    expect(whole.issues[0].where).toMatch(/^line 3 column \d+ \(byte \d+\)$/);
    expect(await parseFiles([{ name: 'conversations.json', pieces: piecesOf(bytes) }])).toEqual(whole);
  });
});
