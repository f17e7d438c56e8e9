// Imports written in chunks, all or nothing: the store's journal takes back an import that never
// committed (worker killed, tab closed, cancelled), the CSV reader streams in slices with exact
// line numbers, refuses a file over its row limit up front, and zips are checked on what they
// declare before anything is inflated.
import 'fake-indexeddb/auto';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttuneDB, TABLE_NAMES } from '../../src/store/db.ts';
import { countBundle, type ImportBundle } from '../../src/domain/bundle.ts';
import { parseFiles } from '../../src/import/index.ts';
import { MAX_CSV_ROWS, countCsvRows } from '../../src/import/csv.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function csvRows(n: number, header = 'query,response,person\n'): string {
  const rows: string[] = [header];
  for (let i = 0; i < n; i++) rows.push(`"I feel low, day ${i}","That sounds hard (${i}).",P${i % 3}\n`);
  return rows.join('');
}

async function counts(db: AttuneDB) {
  return Object.fromEntries(await Promise.all(TABLE_NAMES.map(async (t) => [t, await db.table(t).count()])));
}

let dbCount = 0;
let db: AttuneDB;
beforeEach(async () => {
  db = new AttuneDB(`chunked-test-${++dbCount}`);
  await db.open();
});
afterEach(async () => {
  db.close();
  await db.delete();
});

describe('chunked import with a journal', () => {
  it('streams a large CSV to the sink in bounded chunks and writes it whole', async () => {
    const bytes = encode(csvRows(12_000));
    const chunks: ImportBundle[] = [];
    const preview = await parseFiles([{ name: 'big.csv', bytes }], { sink: async (c) => { chunks.push(c); } });
    expect(preview.issues).toEqual([]);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(Object.values(countBundle(c)).reduce((a, b) => a + b)).toBeLessThan(5100);
    expect(countBundle(preview.bundles[0])).toMatchObject({ people: 3, cases: 12_000, candidates: 12_000 });

    const writer = db.beginImport('import-1');
    const parsed = await parseFiles([{ name: 'big.csv', bytes }], { sink: (c) => writer.write(c) });
    for (const b of parsed.bundles) await writer.write(b);
    // Before the commit: chunks are stored and journalled, but no person yet.
    expect(await db.people.count()).toBe(0);
    expect(await db.importJournal.count()).toBeGreaterThan(0);
    expect(await writer.commit()).toMatchObject({ people: 3, cases: 12_000, candidates: 12_000 });
    expect(await db.importJournal.count()).toBe(0);
    expect(await db.cases.count()).toBe(12_000);
  });

  it('takes back an import that never committed when the store next opens, and the same file then imports whole', async () => {
    const bytes = encode(csvRows(9_000));
    const before = await counts(db);
    const writer = db.beginImport('killed');
    await parseFiles([{ name: 'cases.csv', bytes }], { sink: (c) => writer.write(c) });
    expect(await db.cases.count()).toBeGreaterThan(0); // written, then the worker "dies": no commit
    db.close();

    const reopened = new AttuneDB(db.name);
    await reopened.open(); // the ready hook sweeps what the dead import left
    expect(await counts(reopened)).toEqual(before);
    expect(await reopened.importJournal.count()).toBe(0);

    const again = reopened.beginImport('again');
    const parsed = await parseFiles([{ name: 'cases.csv', bytes }], { sink: (c) => again.write(c) });
    for (const b of parsed.bundles) await again.write(b);
    expect(await again.commit()).toMatchObject({ people: 3, cases: 9_000, candidates: 9_000 });
    reopened.close();
  });

  it('rolls back every chunk when a later one holds an invalid record', async () => {
    await db.applyImport((await parseFiles([{ name: 'first.csv', bytes: encode(csvRows(10)) }])).bundles);
    const before = await counts(db);
    const { bundles } = await parseFiles([{ name: 'second.csv', bytes: encode(csvRows(8_000)) }]);
    const bad = bundles[0].candidates[7_000];
    (bad as { text: unknown }).text = 42;
    await expect(db.applyImport(bundles)).rejects.toThrow(/candidates record "cand_\w+" at text/);
    expect(await counts(db)).toEqual(before);
    expect(await db.importJournal.count()).toBe(0);
  });

  it('does not take back records that were stored before the import', async () => {
    const bytes = encode(csvRows(100));
    await db.applyImport((await parseFiles([{ name: 'a.csv', bytes }])).bundles);
    const before = await counts(db);
    const writer = db.beginImport('overlapping');
    await writer.write((await parseFiles([{ name: 'a.csv', bytes: encode(csvRows(300)) }])).bundles[0]);
    await writer.rollback();
    expect(await counts(db)).toEqual(before);
  });
});

describe('CSV in slices', () => {
  it('keeps exact line numbers and quoted line breaks across slice boundaries', async () => {
    const long = `"${'word, '.repeat(30)}\nsecond line of the same field"`;
    const rows = ['query,response\n'];
    // About 8 MB: three slices of 4 MB.
    for (let i = 0; i < 36_000; i++) rows.push(`q${i},${long}\n`);
    rows.push('a row with one field\n');
    const { issues } = await parseFiles([{ name: 'sliced.csv', bytes: encode(rows.join('')) }]);
    // Each good row takes two lines; the header is line 1.
    expect(issues).toEqual([{ file: 'sliced.csv', where: `line ${2 + 36_000 * 2}`, message: 'expected 2 fields as in the header, found 1' }]);
  });

  it('refuses a CSV over the row limit up front, saying how many rows, the limit and why', async () => {
    const bytes = encode(`query,response\n${'q,r\n'.repeat(MAX_CSV_ROWS + 1)}`);
    expect(countCsvRows(bytes)).toBe(MAX_CSV_ROWS + 2);
    let sunk = 0;
    const { issues, bundles } = await parseFiles([{ name: 'huge.csv', bytes }], { sink: async () => { sunk++; } });
    expect(bundles).toEqual([]);
    expect(sunk).toBe(0);
    expect(issues[0].message).toMatch(/has 100,001 rows; the limit is 100,000 rows per CSV file, because .*split it/);
  });

  it('counts rows with quoted line breaks and blank lines correctly', () => {
    expect(countCsvRows(encode('query,response\n"a\nb",c\n\n  \nd,e'))).toBe(3);
  });
});

describe('zip archives', () => {
  it('says an empty zip is an empty zip', async () => {
    const empty = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
    const { issues } = await parseFiles([{ name: 'export.zip', bytes: empty }]);
    expect(issues).toEqual([{ file: 'export.zip', where: 'zip archive', message: expect.stringMatching(/^is an empty \.zip archive \(no files inside\)/) }]);
  });

  it('refuses a zip bomb from its declared size, naming it', async () => {
    const bomb = zipSync({ 'conversations.json': new Uint8Array(20 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const { issues } = await parseFiles([{ name: 'bomb.zip', bytes: bomb }], { maxBytes: 4 * 1024 * 1024 });
    expect(issues[0].message).toMatch(/declares 20\.0 MiB .*times the archive's own size: a zip bomb.*limit is 4\.0 MiB, so it was refused without unpacking/);
  });

  it('refuses before inflating: a declared 4 GiB entry is never unpacked', async () => {
    const zip = zipSync({ 'conversations.json': encode('[]') });
    // Rewrite the uncompressed size in the central directory (signature PK\x01\x02, size at +24).
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    let patched = 0;
    for (let i = 0; i + 4 <= zip.length; i++) {
      if (view.getUint32(i, true) === 0x02014b50) { view.setUint32(i + 24, 0xfffffff0, true); patched++; }
    }
    expect(patched).toBe(1);
    const { issues } = await parseFiles([{ name: 'liar.zip', bytes: zip }]);
    expect(issues[0].message).toMatch(/declares 4\.0 GiB .*refused without unpacking/);
  });
});
