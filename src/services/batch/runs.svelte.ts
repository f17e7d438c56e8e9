// The Batch screen's runs: every stored run, the one whose results are shown, starting a new run
// on a data set, and resuming what a closed tab left (on its own once the same model is loaded).
import { db } from '../../store/db.ts';
import type { Run } from '../../domain/records.ts';
import type { JudgeTemplate } from '../../method/template.ts';
import { engineStatus } from '../evaluation.ts';
import { batch, interrupted, startNewRun, startRun } from '../batch.svelte.ts';
import { live } from '../live.svelte.ts';
import type { RunSettingsStore } from '../run-settings.svelte.ts';
import type { DataSet } from './datasets.svelte.ts';

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class BatchRuns {
  readonly list = live(() => 0, () => db.listRuns(), [] as Run[]);
  /** The run the user picked; else the one running, else the newest. */
  selectedId = $state<string | null>(null);
  readonly shown = $derived(this.list.value.find((r) => r.id === (this.selectedId ?? batch.runId)) ?? this.list.value[0]);
  readonly leftOver = $derived(interrupted(this.list.value));
  /** Why the last start or resume did not happen. */
  problem = $state<string | null>(null);
  readonly #autoResumed = new Set<string>();

  constructor() {
    $effect(() => {
      const engine = engineStatus();
      for (const r of this.leftOver) {
        if (this.#autoResumed.has(r.id) || batch.progress || !engine.ready || engine.model !== r.header.engine.model) continue;
        this.#autoResumed.add(r.id);
        this.#start(r);
        break;
      }
    });
  }

  async startNew(dataSet: DataSet | undefined, settings: RunSettingsStore, judgeTemplate: JudgeTemplate | undefined): Promise<void> {
    this.problem = null;
    if (!dataSet || !dataSet.caseIds.length) {
      this.problem = 'This data set has no cases. Import a file with cases (PersonaEmp, CSV, preference JSONL) in the Library.';
      return;
    }
    try {
      const s = settings.settings;
      const r = await startNewRun(`${dataSet.label.replace(/ \(.*/, '')} · ${s.protocol}${settings.customized.length ? ' (custom)' : ''}`, dataSet.caseIds, s, judgeTemplate);
      this.selectedId = r.id;
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  resume(r: Run): void {
    this.problem = null;
    this.#start(r);
  }

  #start(r: Run): void {
    this.selectedId = r.id;
    try {
      startRun(r);
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }
}
