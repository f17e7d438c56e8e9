// A CSV of cases: columns query and response (required), scenario, label, category, person
// (optional; any order, any case). Rows with the same person, query, scenario and category are
// one case with several candidates. A missing category column means every case is ES, which
// the preview states; a bad category or label value is an error with its line number. An
// empty response cell gives a case without a candidate.
// Read in slices of a few MB that end between rows, each parsed by papaparse and turned into
// records before the next is decoded, so with a sink (src/import/index.ts) memory stays bounded
// however many rows the file has.
import Papa from 'papaparse';
import type { ImportBundle, RecordSink } from '../domain/bundle.ts';
import { BundleBuilder, Reader, fail, fileStem } from './common.ts';
import { decodeUtf8 } from './text.ts';
import type { Person, QueryCategory } from '../domain/records.ts';

const KNOWN = ['query', 'response', 'scenario', 'label', 'category', 'person'] as const;
const SLICE_BYTES = 4 * 1024 * 1024;
/**
 * Most data rows one CSV may have. Each row is a case and a candidate, two records, and
 * Chromium's IndexedDB spends about 90 µs of CPU per such record whatever its size: 200,000
 * rows took 64 CPU seconds, 36 of them in IndexedDB (`npm run bench:import -- --mode browser
 * --csv 200000`), so half of that is what fits in under a minute on a 2-core machine.
 */
export const MAX_CSV_ROWS = 100_000;
const QUOTE = 0x22;
const NEWLINE = 0x0a;

export interface CsvOptions {
  sink?: RecordSink;
  /** Bytes of the file read so far, after each slice. */
  onProgress?: (doneBytes: number) => void;
}

/** End (exclusive) of the slice starting at `start`: just after a line break outside quotes. */
function sliceEnd(bytes: Uint8Array, start: number): number {
  const target = start + SLICE_BYTES;
  if (target >= bytes.length) return bytes.length;
  // Quotes come in pairs ("" escapes one inside a quoted field): an even count so far means
  // the position is outside any quoted field.
  let quotes = 0;
  for (let i = bytes.indexOf(QUOTE, start); i >= 0 && i < target; i = bytes.indexOf(QUOTE, i + 1)) quotes++;
  for (let i = target; i < bytes.length; i++) {
    if (bytes[i] === QUOTE) quotes++;
    else if (bytes[i] === NEWLINE && quotes % 2 === 0) return i + 1;
  }
  return bytes.length;
}

/** Rows with content (header included), counting line breaks outside quoted fields. */
export function countCsvRows(bytes: Uint8Array): number {
  let rows = 0;
  let quotes = 0;
  let content = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) {
      quotes++;
      content = true;
    } else if (b === NEWLINE) {
      if (quotes % 2 === 1) continue;
      if (content) rows++;
      content = false;
    } else if (b !== 0x20 && b !== 0x0d && b !== 0x09) content = true;
  }
  return content ? rows + 1 : rows;
}

interface Row { line: number; cells: string[] }

/** Parses one slice (whole rows only) into rows with their line numbers; fails on a CSV error. */
function parseSlice(file: string, text: string, firstLine: number, delimiter: string | undefined): { rows: Row[]; delimiter: string } {
  const rows: Row[] = [];
  let line = firstLine;
  let consumed = 0;
  const countLines = (upTo: number) => {
    for (let i = consumed; i < upTo; i++) if (text.charCodeAt(i) === 10) line++;
    consumed = upTo;
  };
  let parseError: { line: number; message: string } | null = null;
  const result = Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: false,
    ...(delimiter ? { delimiter } : {}),
    step: (row, parser) => {
      const rowLine = line;
      countLines(row.meta.cursor);
      // A one-column file has no delimiter to detect: papaparse then uses ',' and says so.
      const errors = row.errors.filter((e) => e.code !== 'UndetectableDelimiter');
      if (errors.length > 0 && !parseError) {
        parseError = { line: rowLine, message: errors[0].message };
        parser.abort();
        return;
      }
      const cells = row.data;
      if (cells.length === 1 && cells[0].trim() === '') return; // blank line
      rows.push({ line: rowLine, cells });
    },
  });
  if (parseError) {
    const { line: at, message } = parseError;
    fail(file, `line ${at}`, `invalid CSV (${message}); expected comma-separated fields with "double quotes" around fields that contain commas, quotes or line breaks`);
  }
  return { rows, delimiter: delimiter ?? result.meta.delimiter };
}

export async function parseCsv(file: string, bytes: Uint8Array, identity: unknown, options: CsvOptions = {}): Promise<ImportBundle> {
  const dataRows = countCsvRows(bytes) - 1;
  if (dataRows > MAX_CSV_ROWS) {
    const n = (x: number) => x.toLocaleString('en-US');
    fail(file, 'file', `has ${n(dataRows)} rows; the limit is ${n(MAX_CSV_ROWS)} rows per CSV file, because every row becomes two records `
      + `and the browser's database would take minutes to store them; split it into files of at most ${n(MAX_CSV_ROWS)} rows (each with the header line) and import them one after another`);
  }
  const r = new Reader(file);
  const b = new BundleBuilder('csv', file, options.sink);
  let names: string[] | null = null;
  let column = (_name: string) => -1;
  let hasCategory = false;
  const defaultPerson = `Cases: ${fileStem(file)}`;
  const people = new Map<string, Person>();
  let delimiter: string | undefined;
  let line = 1;
  let rowsRead = 0;
  for (let start = 0; start < bytes.length;) {
    const end = sliceEnd(bytes, start);
    const slice = bytes.subarray(start, end);
    const parsed = parseSlice(file, decodeUtf8(file, slice, start), line, delimiter);
    delimiter = parsed.delimiter;
    for (let i = slice.indexOf(NEWLINE); i >= 0; i = slice.indexOf(NEWLINE, i + 1)) line++;
    start = end;
    for (const { line: at, cells } of parsed.rows) {
      if (!names) {
        const header = cells;
        names = header.map((c) => c.trim().toLowerCase());
        const known = names;
        column = (name: string) => known.indexOf(name);
        for (const required of ['query', 'response']) {
          if (column(required) < 0) {
            fail(file, 'line 1', `expected a header with the columns query and response (optional: scenario, label, category, person), found: ${header.join(', ')}`);
          }
        }
        const ignored = names.filter((n) => !(KNOWN as readonly string[]).includes(n));
        if (ignored.length > 0) b.note(`columns ignored: ${ignored.join(', ')}`);
        hasCategory = column('category') >= 0;
        if (!hasCategory) b.note('no category column: every case is set to ES (emotional support)');
        continue;
      }
      rowsRead++;
      const where = `line ${at}`;
      if (cells.length !== names.length) {
        fail(file, where, `expected ${names.length} fields as in the header, found ${cells.length}`);
      }
      const cell = (name: string) => (column(name) >= 0 ? cells[column(name)] : '');
      const query = cell('query');
      if (query.trim() === '') fail(file, where, 'expected a query, found an empty cell');
      const category: QueryCategory = hasCategory ? r.category(cell('category'), where) : 'ES';
      const labelText = cell('label').trim();
      let label: number | null = null;
      if (labelText !== '') {
        label = Number(labelText);
        if (!Number.isFinite(label)) fail(file, where, `expected a numeric label (e.g. 1 or 0) or an empty cell, found ${JSON.stringify(labelText)}`);
      }
      const personName = cell('person').trim() || defaultPerson;
      let person = people.get(personName);
      if (!person) {
        person = await b.person(personName, { identity, personName });
        people.set(personName, person);
      }
      const scenario = cell('scenario').trim();
      const item = await b.case(person.id, { query, category, scenario: scenario || undefined, relevantMemoryIds: [] });
      const response = cell('response');
      if (response.trim() !== '') await b.candidate(item, response, undefined, label);
      else b.count('rows had an empty response: their case has no candidate from that row');
    }
    options.onProgress?.(end);
  }
  if (!names) fail(file, 'line 1', 'expected a header line with the columns query and response');
  if (rowsRead === 0) fail(file, 'line 2', 'expected at least one row of cases after the header');
  return b.finish();
}
