// Which record points at which: every reference a record holds must name a record that exists,
// so that nothing in the library hangs in the air (a message without its person or
// conversation, a judgment of a removed reply). Checked before a restore or an import writes.
import type { TableName } from './db.ts';

/** Each reference: records of `table` name, in `field`, a record of `target` by its id. */
export const REFERENCES = [
  { table: 'conversations', field: 'personId', target: 'people' },
  { table: 'messageChunks', field: 'personId', target: 'people' },
  { table: 'messageChunks', field: 'conversationId', target: 'conversations' },
  { table: 'memories', field: 'personId', target: 'people' },
  { table: 'personas', field: 'personId', target: 'people' },
  { table: 'cases', field: 'personId', target: 'people' },
  { table: 'candidates', field: 'personId', target: 'people' },
  { table: 'candidates', field: 'caseId', target: 'cases' },
  { table: 'criteria', field: 'caseId', target: 'cases' },
  { table: 'judgments', field: 'caseId', target: 'cases' },
  { table: 'judgments', field: 'candidateId', target: 'candidates' },
  { table: 'runs', field: 'caseIds', target: 'cases' },
  // Not checked: a judgment's runId (the run it was first made in: provenance, and cached
  // judgments serve later runs too), a case's relevantMemoryIds and a memory's evidence (the
  // data set's own pointers, which may be free text or name memories since edited away).
] as const satisfies readonly { table: TableName; field: string; target: TableName }[];

/** Any record: references are read by field name. */
type Row = object;
const field = (row: Row, name: string): unknown => (row as Record<string, unknown>)[name];

/** One reference that names nothing. */
export interface DanglingReference {
  table: TableName;
  recordId: string;
  field: string;
  missing: string;
  target: TableName;
}

export function describeDangling(d: DanglingReference): string {
  return `${d.table} record "${d.recordId}": ${d.field} "${d.missing}" names no record in ${d.target}`;
}

export class DanglingReferenceError extends Error {
  constructor(readonly dangling: DanglingReference) {
    super(describeDangling(dangling));
    this.name = 'DanglingReferenceError';
  }
}

/**
 * The first reference among `records` that resolves neither within `records` nor, when given,
 * through `stored` (which returns those of the ids that exist in a table of the store).
 */
export async function findDanglingReference(
  records: Partial<Record<TableName, readonly Row[]>>,
  stored?: (table: TableName, ids: string[]) => Promise<Set<string>>,
): Promise<DanglingReference | null> {
  const idsOf = new Map<TableName, Set<unknown>>();
  const present = (table: TableName) => {
    let ids = idsOf.get(table);
    if (!ids) idsOf.set(table, (ids = new Set((records[table] ?? []).map((r) => field(r, 'id')))));
    return ids;
  };
  for (const ref of REFERENCES) {
    const rows = records[ref.table];
    if (!rows?.length) continue;
    const known = present(ref.target);
    // Ids not among the records, with the first record that names each.
    const outside = new Map<string, Row>();
    for (const row of rows) {
      const value = field(row, ref.field);
      for (const id of Array.isArray(value) ? value : [value]) {
        if (!known.has(id) && !outside.has(String(id))) outside.set(String(id), row);
      }
    }
    if (!outside.size) continue;
    const found = stored ? await stored(ref.target, [...outside.keys()]) : new Set<string>();
    for (const [missing, row] of outside) {
      if (!found.has(missing)) {
        return { table: ref.table, recordId: String(field(row, 'id')), field: ref.field, missing, target: ref.target };
      }
    }
  }
  return null;
}
