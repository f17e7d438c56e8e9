// A CSV of cases: columns query and response (required), scenario, label, category, person
// (optional; any order, any case). Rows with the same person, query, scenario and category are
// one case with several candidates. A missing category column means every case is ES, which
// the preview states; a bad category or label value is an error with its line number. An
// empty response cell gives a case without a candidate.
import Papa from 'papaparse';
import type { ImportBundle } from '../domain/bundle.ts';
import { BundleBuilder, Reader, fail, fileStem } from './common.ts';
import type { QueryCategory } from '../domain/records.ts';

const KNOWN = ['query', 'response', 'scenario', 'label', 'category', 'person'] as const;

export async function parseCsv(file: string, text: string, identity: unknown): Promise<ImportBundle> {
  const r = new Reader(file);
  const rows: { line: number; cells: string[] }[] = [];
  let line = 1;
  let consumed = 0;
  const countLines = (upTo: number) => {
    for (let i = consumed; i < upTo; i++) if (text.charCodeAt(i) === 10) line++;
    consumed = upTo;
  };
  let parseError: { line: number; message: string } | null = null;
  Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: false,
    step: (result, parser) => {
      const rowLine = line;
      countLines(result.meta.cursor);
      // A one-column file has no delimiter to detect: papaparse then uses ',' and says so.
      const errors = result.errors.filter((e) => e.code !== 'UndetectableDelimiter');
      if (errors.length > 0 && !parseError) {
        parseError = { line: rowLine, message: errors[0].message };
        parser.abort();
        return;
      }
      const cells = result.data;
      if (cells.length === 1 && cells[0].trim() === '') return; // blank line
      rows.push({ line: rowLine, cells });
    },
  });
  if (parseError) {
    const { line: at, message } = parseError;
    fail(file, `line ${at}`, `invalid CSV (${message}); expected comma-separated fields with "double quotes" around fields that contain commas, quotes or line breaks`);
  }
  const header = rows.shift();
  if (!header) fail(file, 'line 1', 'expected a header line with the columns query and response');
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const column = (name: string) => names.indexOf(name);
  for (const required of ['query', 'response']) {
    if (column(required) < 0) {
      fail(file, 'line 1', `expected a header with the columns query and response (optional: scenario, label, category, person), found: ${header.cells.join(', ')}`);
    }
  }
  const b = new BundleBuilder('csv', file);
  const ignored = names.filter((n) => !(KNOWN as readonly string[]).includes(n));
  if (ignored.length > 0) b.note(`columns ignored: ${ignored.join(', ')}`);
  const hasCategory = column('category') >= 0;
  if (!hasCategory) b.note('no category column: every case is set to ES (emotional support)');
  const defaultPerson = `Cases: ${fileStem(file)}`;
  for (const { line: at, cells } of rows) {
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
    const person = await b.person(personName, { identity, personName });
    const scenario = cell('scenario').trim();
    const item = await b.case(person.id, { query, category, scenario: scenario || undefined, relevantMemoryIds: [] });
    const response = cell('response');
    if (response.trim() !== '') await b.candidate(item, response, undefined, label);
    else b.count('rows had an empty response: their case has no candidate from that row');
  }
  if (rows.length === 0) fail(file, 'line 2', 'expected at least one row of cases after the header');
  return b.finish();
}
