// Upgrades of stored records whose shape changed between schema versions. Pure functions, so
// that each can be tested apart from Dexie.
import { PROTOCOLS } from '../method/protocols.ts';
import type { Run } from '../domain/records.ts';

/** A Run as Attune 0.1 stored it: a few settings, the rest being that version's fixed defaults. */
interface LegacyRun extends Omit<Run, 'header'> {
  settings: { mode: 'fixed' | 'dynamic' | 'logprob'; k: number; lambda: number; engine: string; model: string; seed: number; retries: number };
}

/**
 * A 0.1 run with a run header. Its settings are exact: 0.1 ran every job with the defaults below
 * and the stored fields over them. What it did not record (the context window, the data's hash)
 * is said so in the header instead of being guessed.
 */
export function runWithHeader(legacy: LegacyRun): Run {
  const { settings: old, ...rest } = legacy;
  const base = PROTOCOLS.default.settings;
  return {
    ...rest,
    header: {
      type: 'attune-run', format: 1, attuneVersion: '0.1.0', promptVersion: 1, protocol: 'default',
      settings: {
        ...base,
        mode: old.mode, k: old.k, lambda: old.lambda, seed: old.seed, retries: old.retries,
        criteriaSource: 'derive', criteriaTemperature: 0, temperature: 0.7, memoryBudget: 160, criteriaMemoryBudget: 800,
        memoryOrder: 'relevance', answerTokens: { criteria: 700, judge: 400, dynamic: 900, combined: 900, bystander: 120 },
        injectionPolicy: 'flag',
      },
      engine: { kind: old.engine, model: old.model, contextWindow: 4096 },
      data: [{ file: 'not recorded (a run of Attune 0.1: context window assumed 4096)', sha256: 'unknown' }],
      judgeTemplate: null,
      startedAt: new Date(legacy.createdAt).toISOString(),
    },
  };
}
