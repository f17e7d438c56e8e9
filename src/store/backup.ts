// Backup of the whole store to one file, and restore from it, in dexie-export-import's format.
// A restore first reads and checks the whole file (readBackup): every table of the schema
// present, each table's row count equal to the file's own header, every record valid and unique,
// every reference resolving, and not empty. Only then does applyBackup clear and refill every
// table in ONE transaction (each row passes the store's zod validation again as it is written),
// so any failure leaves the store as it was. Backups of schema versions 1–3 hold a `messages`
// table of single messages; they are restored into the chunks version 4 keeps them in.
import { exportDB, importInto } from 'dexie-export-import';
import { TABLE_NAMES, db as appDb, validateRecord, type AttuneDB, type TableName } from './db.ts';
import { Message } from '../domain/records.ts';
import { inConversationOrder, toMessageChunks } from './message-chunks.ts';
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

/** Records of each kind, as the user knows them: messages, not the chunks they are stored in. */
export type RecordKind = Exclude<TableName, 'messageChunks'> | 'messages';
export type TableCounts = Record<RecordKind, number>;
const RECORD_KINDS = TABLE_NAMES.map((t): RecordKind => (t === 'messageChunks' ? 'messages' : t));

/** A backup that passed every check, ready to replace the library. */
export interface CheckedBackup {
  file: ExportFile;
  /** Records per table the library will hold after the restore. */
  counts: TableCounts;
}

/** The schema version from which messages are stored in chunks; before it, one record each. */
const CHUNKED_SINCE = 4;
/** Tables a backup of that schema version holds. */
const tablesOfVersion = (version: number): string[] =>
  version >= CHUNKED_SINCE ? TABLE_NAMES : TABLE_NAMES.map((t) => (t === 'messageChunks' ? 'messages' : t));

/** Records of each kind in the store. */
export async function countRecords(store: AttuneDB = appDb): Promise<TableCounts> {
  const counts = await Promise.all(TABLE_NAMES.map((t) => (t === 'messageChunks' ? store.countMessages() : store.table(t).count())));
  return Object.fromEntries(RECORD_KINDS.map((k, i) => [k, counts[i]])) as TableCounts;
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
  const tables = tablesOfVersion(data.databaseVersion);
  data.data.forEach((t, i) => {
    if (!t || !tables.includes(t.tableName)) {
      throw new BackupError(`data.data[${i}].tableName`, `expected one of ${tables.join(', ')} (schema version ${data.databaseVersion}), found ${JSON.stringify(t?.tableName)}`);
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

/** A row of a version 1–3 backup's `messages` table, checked as the Message it must be. */
function validateLegacyMessage(row: unknown): Message {
  const result = Message.safeParse(row);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const id = (row as { id?: unknown } | null)?.id;
  throw new Error(`Invalid messages record "${typeof id === 'string' ? id : '(no id)'}" at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/**
 * Every row valid for its table and its key unique (and every message's id, across chunks);
 * returns the rows by table, a version 1–3 backup's messages already in chunks.
 */
function checkRecords(file: ExportFile): Record<TableName, Record<string, unknown>[]> {
  const rows = {} as Record<TableName, Record<string, unknown>[]>;
  const messageIds = new Set<string>();
  file.data.data.forEach((t, i) => {
    const seen = new Set<unknown>();
    const checked = t.rows.map((row, r) => {
      const where = `data.data[${i}].rows[${r}] (${t.tableName})`;
      let record: Record<string, unknown>;
      try {
        record = t.tableName === 'messages' ? validateLegacyMessage(row) : validateRecord(t.tableName as TableName, row) as Record<string, unknown>;
      } catch (e) {
        throw new BackupError(where, (e as Error).message);
      }
      const key = t.tableName === 'settings' ? record.key : record.id;
      if (seen.has(key)) throw new BackupError(where, `${t.tableName} record "${String(key)}" appears twice`);
      seen.add(key);
      for (const id of t.tableName === 'messageChunks' ? record.messageIds as string[] : []) {
        if (messageIds.has(id)) throw new BackupError(where, `message "${id}" appears twice`);
        messageIds.add(id);
      }
      return record;
    });
    if (t.tableName === 'messages') rows.messageChunks = toMessageChunks((checked as Message[]).sort(inConversationOrder));
    else rows[t.tableName as TableName] = checked;
  });
  return rows;
}

/**
 * A version 1–3 backup as this version's: its `messages` table replaced by the chunks they
 * are now kept in, so that importInto writes them where they belong.
 */
function withChunkedMessages(file: ExportFile, chunks: Record<string, unknown>[]): ExportFile {
  if (file.data.databaseVersion >= CHUNKED_SINCE) return file;
  const rename = <T extends { name?: string; tableName?: string }>(t: T): boolean => (t.name ?? t.tableName) === 'messages';
  return {
    ...file,
    data: {
      ...file.data,
      tables: [...file.data.tables.filter((t) => !rename(t)), { name: 'messageChunks', schema: 'id,conversationId,personId,*messageIds', rowCount: chunks.length }],
      data: [...file.data.data.filter((t) => !rename(t)), { tableName: 'messageChunks', inbound: true, rows: chunks }],
    },
  };
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
  const shape = checkShape(json, store);
  checkComplete(shape);
  const rows = checkRecords(shape);
  const file = withChunkedMessages(shape, rows.messageChunks ?? []);
  const counts = Object.fromEntries(TABLE_NAMES.map((t, i) => [RECORD_KINDS[i], t === 'messageChunks'
    ? (rows.messageChunks ?? []).reduce((n, c) => n + (c.messageIds as string[]).length, 0)
    : rows[t]?.length ?? 0])) as TableCounts;
  if (!options.trusted) {
    if (RECORD_KINDS.every((k) => k === 'settings' || counts[k] === 0)) {
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
