// Every file of the malformed corpus must be refused with the expected place and message,
// and contribute no records, while good files imported alongside still come through.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFiles, type InputFile } from '../../src/import/index.ts';

const dir = new URL('../malformed/', import.meta.url);
const read = (name: string): Extract<InputFile, { bytes: Uint8Array }> => ({ name: name.split('/').pop()!, bytes: new Uint8Array(readFileSync(new URL(name, dir))) });

interface Expectation { where: string; message: string; options?: { maxBytes?: number }; with?: string[] }
const { files } = JSON.parse(readFileSync(new URL('expectations.json', dir), 'utf8')) as { files: Record<string, Expectation> };
const corpus = readdirSync(dir).filter((n) => n !== 'expectations.json').sort();

describe('malformed corpus', () => {
  it('has at least 30 files, each with an expectation', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(files).sort()).toEqual(corpus);
  });

  it.each(corpus)('%s is refused with file, place and what was expected', async (name) => {
    const expectation = files[name];
    const input = read(name);
    const companions = (expectation.with ?? []).map(read);
    const result = await parseFiles([...companions, input], expectation.options);
    const issues = result.issues.filter((i) => i.file === name);
    expect(issues).toHaveLength(1);
    expect(issues[0].where).toBe(expectation.where);
    expect(issues[0].message).toContain(expectation.message);
    expect(result.bundles.filter((b) => b.file === name)).toEqual([]);
    // Companion files are fine on their own and still come through.
    expect(result.bundles.map((b) => b.file)).toEqual(companions.map((c) => c.name));
  });

  it.each(corpus)('%s is refused the same when read in pieces (as the import worker reads files)', async (name) => {
    const expectation = files[name];
    const companions = (expectation.with ?? []).map(read);
    const whole = await parseFiles([...companions, read(name)], expectation.options);
    const { bytes } = read(name);
    const pieces = { size: bytes.length, read: (start: number, end: number) => bytes.slice(start, end) };
    const inPieces = await parseFiles([...companions, { name, pieces }], expectation.options);
    expect(inPieces.issues).toEqual(whole.issues);
  });

  it('reports the byte offset of the first invalid UTF-8 byte', async () => {
    const input = read('invalid-utf8.json');
    const { issues } = await parseFiles([input]);
    const offset = Number(/^byte (\d+)$/.exec(issues[0].where)?.[1]);
    expect(input.bytes[offset]).toBe(0xe9);
    expect(new TextDecoder().decode(input.bytes.subarray(0, offset)).endsWith('I feel stuck at work ')).toBe(true);
  });

  it('a bad file next to good ones loses nothing from the good ones', async () => {
    const good = { name: 'ok.txt', bytes: new TextEncoder().encode('User: hi\nAssistant: hello') };
    const result = await parseFiles([good, read('truncated-in-string.json'), read('csv-bad-label.csv')]);
    expect(result.bundles.map((b) => b.file)).toEqual(['ok.txt']);
    expect(result.issues.map((i) => i.file)).toEqual(['truncated-in-string.json', 'csv-bad-label.csv']);
  });
});
