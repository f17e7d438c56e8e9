// The shown run's results: its cases, candidates, judgments and criteria built into the report
// the summary, chart, tables and exports show.
import { untrack } from 'svelte';
import { db } from '../../store/db.ts';
import { DIMENSIONS, type Case, type Run } from '../../domain/records.ts';
import { buildResults, selectJudgments } from '../../export/results.ts';
import type { ChartData } from '../../export/chart.ts';
import { batch } from '../batch.svelte.ts';
import { live } from '../live.svelte.ts';

/** Created in a component's script: it reads the store for as long as the component lives. */
export class RunReport {
  // The results are read from the store when the shown run or its status changes, and every
  // two seconds while it runs: re-reading on each stored judgment would keep the main thread
  // busy exactly when the run should leave it free.
  readonly #runKey = $derived.by(() => {
    const r = this.run();
    return r ? `${r.id}|${r.status}` : null;
  });
  #refresh = $state(0);
  readonly #running = $derived(batch.progress !== null);
  // `partial`: read while the run was still going (its status is read first, so a run already
  // 'done' means every judgment it stored is in what follows); the summary then says "so far".
  readonly #read = live(
    () => [this.#runKey, this.#refresh, this.#running] as const,
    async () => {
      const r = untrack(() => this.run());
      if (!r) return null;
      const status = (await db.runs.get(r.id))?.status ?? r.status;
      const [runCases, candidates, judgments, criteria] = await Promise.all([
        db.cases.bulkGet(r.caseIds),
        db.candidates.where('caseId').anyOf(r.caseIds).toArray(),
        db.judgments.where('caseId').anyOf(r.caseIds).toArray(),
        db.criteria.where('caseId').anyOf(r.caseIds).toArray(),
      ]);
      const shown = selectJudgments(judgments, { model: r.header.engine.model, mode: r.header.settings.mode, k: r.header.settings.k });
      const judged = new Set(shown.map((j) => j.candidateId));
      const built = buildResults({
        title: `Attune batch: ${r.name}`, people: await db.people.toArray(), cases: runCases.filter((c): c is Case => !!c),
        candidates: candidates.filter((c) => judged.has(c.id)), judgments: shown, criteria, header: r.header,
      });
      return { report: built, partial: status === 'running' || status === 'pending' };
    },
    null,
    { live: false },
  );
  readonly report = $derived(this.#read.value?.report ?? null);
  readonly partial = $derived(this.#read.value?.partial ?? false);
  readonly chart = $derived.by((): ChartData | null => {
    const report = this.report;
    return report ? {
      title: 'Mean score per dimension (1–5 scaled to 0–1)',
      groups: DIMENSIONS.map((d) => d),
      series: [{ name: this.run()?.name ?? 'run', values: DIMENSIONS.map((d) => { const m = report.summary.dimensionMeans[d].mean; return m === null ? null : m / 5; }) }],
    } : null;
  });

  constructor(private run: () => Run | undefined) {
    $effect(() => {
      if (!this.#running) return;
      const timer = setInterval(() => this.#refresh++, 2000);
      return () => clearInterval(timer);
    });
  }
}
