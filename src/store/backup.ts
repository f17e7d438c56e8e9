// Backup of the whole store to one file, and restore from it, in dexie-export-import's format.
// Restore checks the file's shape, then clears and refills every table in ONE transaction; every
// row passes the store's zod validation as it is written, so a bad record, or any failure
// half-way, aborts the transaction and leaves the store as it was.
import { exportDB, importInto } from 'dexie-export-import';
import { TABLE_NAMES, db as appDb, type AttuneDB, type TableName } from './db.ts';

export class BackupError extends Error {
  constructor(readonly where: string, message: string) {
    super(`Backup file (${where}): ${message}`);
    this.name = 'BackupError';
  }
}

export async function exportBackup(store: AttuneDB = appDb): Promise<Blob> {
  return exportDB(store, { prettyJson: false });
}

interface TableExport { tableName: string; inbound: boolean; rows: unknown[] }
interface ExportFile {
  formatName: string;
  formatVersion: number;
  data: { databaseName: string; databaseVersion: number; tables: { name: string; schema: string; rowCount: number }[]; data: TableExport[] };
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
    if (!data.tables.some((s) => s?.name === t.tableName)) {
      throw new BackupError(`data.tables`, `table "${t.tableName}" has rows but no schema entry`);
    }
  });
  return file as ExportFile;
}

/**
 * Replaces the store's contents with a backup. Throws BackupError (or StoreValidationError naming
 * table, record id and zod path) and leaves the store unchanged when the file is not a valid backup.
 */
export async function importBackup(blob: Blob, store: AttuneDB = appDb): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(await blob.text());
  } catch (e) {
    throw new BackupError('(file)', `expected JSON: ${(e as Error).message}`);
  }
  const file = checkShape(json, store);
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
