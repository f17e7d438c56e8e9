// Runs stored by Attune 0.1 (a few settings) come back with a run header after the upgrade,
// their settings exact and what 0.1 did not record said so.
import 'fake-indexeddb/auto';
import { expect, it } from 'vitest';
import Dexie from 'dexie';
import { AttuneDB } from '../../src/store/db.ts';
import { Run } from '../../src/domain/records.ts';
import { customizedFields } from '../../src/method/protocols.ts';

it('a 0.1 run record is upgraded to one with a run header', async () => {
  const name = 'attune-migration';
  const old = new Dexie(name);
  old.version(1).stores({ runs: 'id, status, createdAt' });
  await old.table('runs').put({
    id: 'run_old', name: 'batch', status: 'done', caseIds: ['c1'], done: 1, total: 1, failures: 0, createdAt: 0, updatedAt: 0,
    settings: { mode: 'dynamic', k: 2, lambda: 0.3, engine: 'openai', model: 'qwen', seed: 7, retries: 1 },
  });
  old.close();

  const db = new AttuneDB(name);
  const run = await db.runs.get('run_old');
  expect(Run.safeParse(run).success).toBe(true);
  expect(run!.header).toMatchObject({
    protocol: 'default', promptVersion: 1, attuneVersion: '0.1.0',
    settings: { mode: 'dynamic', k: 2, lambda: 0.3, seed: 7, retries: 1, memoryBudget: 160, temperature: 0.7 },
    engine: { kind: 'openai', model: 'qwen' },
  });
  expect(customizedFields(run!.header.settings)).toEqual(expect.arrayContaining(['mode', 'k', 'lambda', 'memoryBudget']));
  expect(run!.header.data[0].file).toMatch(/not recorded/);
  db.close();
});
