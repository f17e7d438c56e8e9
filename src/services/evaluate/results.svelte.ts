// The shown case's judgments under the chosen settings, built into the report the results table,
// chart and exports show, and the evaluation job that makes them. The job lives in the jobs
// store: its progress and Cancel stay visible after leaving the screen and coming back.
import { db } from '../../store/db.ts';
import type { Candidate, Case, CriteriaSet, Judgment, Person } from '../../domain/records.ts';
import type { EvaluationSettings } from '../../domain/settings.ts';
import { runHeader } from '../../method/run-header.ts';
import { buildResults, selectJudgments } from '../../export/results.ts';
import { caseChart } from '../../export/formats.ts';
import { engineStatus } from '../evaluation.ts';
import { jobs } from '../jobs.svelte.ts';
import { live } from '../live.svelte.ts';

interface Sources {
  person: () => Person | undefined;
  current: () => Case | undefined;
  candidates: () => Candidate[];
  criteria: () => CriteriaSet[];
  settings: () => EvaluationSettings;
}

export class CaseResults {
  readonly judgments = live(() => this.from.current()?.id ?? null, (id) => (id ? db.listJudgments({ caseId: id }) : Promise.resolve([] as Judgment[])), [] as Judgment[]);
  /** The model whose judgments are shown: the loaded one, else the one that judged last. */
  readonly model = $derived(engineStatus().model ?? this.judgments.value.at(-1)?.model ?? '');
  readonly report = $derived.by(() => {
    const person = this.from.person();
    const current = this.from.current();
    if (!person || !current) return null;
    const settings = this.from.settings();
    const engine = engineStatus().info;
    return buildResults({
      title: `${person.name}: ${current.query.slice(0, 60)}`, people: [person], cases: [current], candidates: this.from.candidates(),
      judgments: selectJudgments(this.judgments.value, { model: this.model, mode: settings.mode, k: settings.k }), criteria: this.from.criteria(),
      // Exports say how the shown results were judged: the chosen settings and the loaded model.
      header: engine && engine.model === this.model ? runHeader({ settings, engine, data: [{ file: `case ${current.id}`, sha256: current.id }], startedAt: new Date() }) : undefined,
      lambda: settings.lambda,
    });
  });
  readonly chart = $derived(this.report && this.report.results.some((r) => r.judgments.length)
    ? caseChart(this.report.results, 'Scores by candidate (0–1; reward may go below 0)') : null);

  constructor(private from: Sources) {}

  /** The evaluation running on the shown case, if any. */
  get running() {
    const c = this.from.current();
    return c ? jobs.find('evaluate', c.id) : undefined;
  }

  /** How the last evaluation of the shown case ended. */
  get outcome() {
    const c = this.from.current();
    return c ? jobs.outcome('evaluate', c.id) : undefined;
  }

  /** Judges the shown case's candidates (or only some, e.g. to retry their failures). */
  run(settings: EvaluationSettings, candidateIds?: string[], retryFailed = false): string | null {
    const c = this.from.current();
    if (!c || this.running) return null;
    if (!engineStatus().ready) return 'No model is loaded yet. Pick one on the Models screen (it suggests one that suits this machine), then run again.';
    void jobs.start({ kind: 'evaluate', caseIds: [c.id], candidateIds, settings, retryFailed }, {
      label: `Evaluating “${c.query.slice(0, 40)}${c.query.length > 40 ? '…' : ''}”`,
      scope: c.id,
      where: { screen: 'evaluate', param: c.personId, query: { case: c.id } },
      describe: (r) => ({ status: 'done', message: r.failures ? `Done, with ${r.failures} failed judge call(s): see the raw answers below and retry them.` : 'Done.' }),
      cancelledMessage: 'Cancelled. What was finished is kept; run again to continue.',
    });
    return null;
  }

  cancel(): void {
    const job = this.running;
    if (job) jobs.cancel(job.id);
  }
}
