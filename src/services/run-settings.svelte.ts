// The settings a run is made with, as the Evaluate and Batch screens edit them. One instance per
// screen, kept for the session, so a job's results stay selected when the screen comes back.
import type { EvaluationSettings, JudgeMode } from '../method/pipeline.ts';

export class RunSettingsStore {
  mode = $state<JudgeMode>('fixed');
  k = $state(1);
  lambda = $state(0.5);
  retries = $state(2);
  seed = $state(42);

  /** The settings a job is started with. */
  get settings(): Pick<EvaluationSettings, 'mode' | 'k' | 'lambda' | 'retries' | 'seed'> {
    return { mode: this.mode, k: this.k, lambda: this.lambda, retries: this.retries, seed: this.seed };
  }
}

export const evaluateSettings = new RunSettingsStore();
export const batchSettings = new RunSettingsStore();
