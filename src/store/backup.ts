// Backup of the whole store to one file, and restore from it, in dexie-export-import's format.
// A restore first reads and checks the whole file (readBackup): every table of the schema
// present, each table's row count equal to the file's own header, every record valid and unique,
// every reference resolving, and not empty. Only then does applyBackup clear and refill every
// table in ONE transaction (each row passes the store's zod validation again as it is written),
// so any failure leaves the store as it was.
import { exportDB, importInto } from 'dexie-export-import';
import { TABLE_NAMES, db as appDb, validateRecord, type AttuneDB, type TableName } from './db.ts';
import { describeDangling, findDanglingReference } from './references.ts';

export class BackupError extends Error {
  constructor(readonly where: string, message: string) {
    super(`Backup file (${where}): ${message}`);
    this.name = 'BackupError';
  }
}

export async function exportBackup(store: AttuneDB = appDb): Promise<Blob> {
  // Only the domain tables: the import journal is the store's own bookkeeping.
  const skipTables = store.tables.map((t) => t.name).filter((name) => !TABLE_NAMES.includes(name as TableName));
  return exportDB(store, { prettyJson: false, skipTables });
}

interface TableExport { tableName: string; inbound: boolean; rows: unknown[] }
interface ExportFile {
  formatName: string;
  formatVersion: number;
  data: { databaseName: string; databaseVersion: number; tables: { name: string; schema: string; rowCount: number }[]; data: TableExport[] };
}

export type TableCounts = Record<TableName, number>;

/** A backup that passed every check, ready to replace the library. */
export interface CheckedBackup {
  file: ExportFile;
  /** Records per table the library will hold after the restore. */
  counts: TableCounts;
}

/** The schema version that added each table; tables not listed exist since version 1. */
const TABLE_SINCE: Partial<Record<TableName, number>> = {};
const tablesOfVersion = (version: number) => TABLE_NAMES.filter((t) => (TABLE_SINCE[t] ?? 1) <= version);

/** Records per table in the store. */
export async function countRecords(store: AttuneDB = appDb): Promise<TableCounts> {
  const counts = await Promise.all(TABLE_NAMES.map((t) => store.table(t).count()));
  return Object.fromEntries(TABLE_NAMES.map((t, i) => [t, counts[i]])) as TableCounts;
}

function checkShape(json: unknown, store: AttuneDB): ExportFile {
  const file = json as Partial<ExportFile> | null;
  if (!file || typeof file !== 'object' || file.formatName !== 'dexie') {
    throw new BackupError('formatName', 'expected a Dexie export ("formatName": "dexie")');
  }
  if (file.formatVersion !== 1) throw new BackupError('formatVersion', `expected 1, found ${JSON.stringify(file.formatVersion)}`);
  const data = file.data;
  if (!data || typeof data !== 'object' || !Array.isArray(data.tables) || !Array.isArray(data.data)) {
    throw new BackupError('data', 'expected an object with "tables" and "data" arrays');
  }
  if (typeof data.databaseVersion !== 'number' || data.databaseVersion > store.verno) {
    throw new BackupError('data.databaseVersion', `expected a schema version up to ${store.verno} (this app's), found ${JSON.stringify(data.databaseVersion)}`);
  }
  data.data.forEach((t, i) => {
    if (!t || !TABLE_NAMES.includes(t.tableName as TableName)) {
      throw new BackupError(`data.data[${i}].tableName`, `expected one of ${TABLE_NAMES.join(', ')}, found ${JSON.stringify(t?.tableName)}`);
    }
    if (t.inbound !== true || !Array.isArray(t.rows)) {
      throw new BackupError(`data.data[${i}]`, `expected table "${t.tableName}" with inbound keys and a "rows" array`);
    }
    if (data.data.findIndex((u) => u?.tableName === t.tableName) !== i) {
      throw new BackupError(`data.data[${i}]`, `table "${t.tableName}" appears twice`);
    }
    if (!data.tables.some((s) => s?.name === t.tableName)) {
      throw new BackupError(`data.tables`, `table "${t.tableName}" has rows but no schema entry`);
    }
  });
  return file as ExportFile;
}

/** Every table of the file's schema version is there, with as many rows as its header says. */
function checkComplete(file: ExportFile): void {
  const { data } = file;
  const expected = tablesOfVersion(data.databaseVersion);
  const missing = expected.filter((t) => !data.data.some((d) => d.tableName === t));
  if (missing.length) {
    throw new BackupError('data.data', `table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing: a complete backup of schema version ${data.databaseVersion} holds ${expected.join(', ')}. The file was cut or edited`);
  }
  data.data.forEach((t, i) => {
    const header = data.tables.find((s) => s?.name === t.tableName)!;
    if (header.rowCount !== t.rows.length) {
      throw new BackupError(`data.data[${i}] (${t.tableName})`, `the header says ${JSON.stringify(header.rowCount)} rows, the file holds ${t.rows.length}. The file was cut or edited`);
    }
  });
}

/** Every row valid for its table and its key unique; returns the rows by table. */
function checkRecords(file: ExportFile): Record<TableName, Record<string, unknown>[]> {
  const rows = {} as Record<TableName, Record<string, unknown>[]>;
  file.data.data.forEach((t, i) => {
    const table = t.tableName as TableName;
    const seen = new Set<unknown>();
    rows[table] = t.rows.map((row, r) => {
      const where = `data.data[${i}].rows[${r}] (${table})`;
      let record: Record<string, unknown>;
      try {
        record = validateRecord(table, row) as Record<string, unknown>;
      } catch (e) {
        throw new BackupError(where, (e as Error).message);
      }
      const key = table === 'settings' ? record.key : record.id;
      if (seen.has(key)) throw new BackupError(where, `${table} record "${String(key)}" appears twice`);
      seen.add(key);
      return record;
    });
  });
  return rows;
}

/**
 * Reads a backup file and checks all of it without touching the store. Throws BackupError naming
 * the table or record at fault. `trusted` is for the safety copy this app made of the library
 * itself: it is restored as it was, even empty or with the references it had.
 */
export async function readBackup(blob: Blob, store: AttuneDB = appDb, options: { trusted?: boolean } = {}): Promise<CheckedBackup> {
  let json: unknown;
  try {
    json = JSON.parse(await blob.text());
  } catch (e) {
    throw new BackupError('(file)', `expected JSON: ${(e as Error).message}`);
  }
  const file = checkShape(json, store);
  checkComplete(file);
  const rows = checkRecords(file);
  const counts = Object.fromEntries(TABLE_NAMES.map((t) => [t, rows[t]?.length ?? 0])) as TableCounts;
  if (!options.trusted) {
    if (TABLE_NAMES.every((t) => t === 'settings' || counts[t] === 0)) {
      throw new BackupError('data.data', 'every table is empty: restoring it would empty the library');
    }
    const dangling = await findDanglingReference(rows);
    if (dangling) throw new BackupError(`${dangling.table}`, describeDangling(dangling));
  }
  return { file, counts };
}

/** Replaces the store's contents with a checked backup, in one transaction. */
export async function applyBackup(backup: CheckedBackup, store: AttuneDB = appDb): Promise<void> {
  const { file } = backup;
  // Hand the already-parsed file to the library as a finished stream, so nothing is read
  // asynchronously inside the transaction (which would let IndexedDB commit it early).
  const parsed = {
    result: file,
    done: () => true,
    eof: () => true,
    pullAsync: async () => file,
    pullSync: () => file,
  };
  await store.transaction('rw', store.tables, () =>
    importInto(store, parsed as never, {
      clearTablesBeforeImport: true,
      acceptNameDiff: true,
      acceptVersionDiff: true,
      acceptMissingTables: false,
    }),
  );
}

/**
 * Checks a backup file and replaces the store's contents with it. Throws BackupError (or
 * StoreValidationError naming table, record id and zod path) and leaves the store unchanged
 * when the file is not a complete, consistent backup.
 */
export async function importBackup(blob: Blob, store: AttuneDB = appDb, options: { trusted?: boolean } = {}): Promise<void> {
  await applyBackup(await readBackup(blob, store, options), store);
}
