// Two protocols over the same cases with the loaded engine, then how far they agree
// (method/compare-protocols.ts): the Batch screen's counterpart of `attune compare`. Each
// protocol runs as one evaluation job in the worker, one after the other; judgments are stored
// and cached as in any run, so a second comparison reuses what the first judged.
import { db } from '../store/db.ts';
import { compareProtocols, type ProtocolComparison, type ProtocolRun } from '../method/compare-protocols.ts';
import { PROTOCOLS, protocolSettings, type ProtocolName } from '../method/protocols.ts';
import { engineStatus, type JobProgress } from './evaluation.ts';
import { jobs } from './jobs.svelte.ts';

export interface ProtocolCompareState {
  /** The protocol being run now; null when no comparison runs. */
  running: ProtocolName | null;
  progress: JobProgress | null;
  result: ProtocolComparison | null;
  error: string | null;
  message: string | null;
}

export const protocolCompare = $state<ProtocolCompareState>({ running: null, progress: null, result: null, error: null, message: null });

/** The jobs store's scope of a comparison's evaluation jobs. */
const SCOPE = 'protocol-compare';

export function comparisonJob() {
  return jobs.find('evaluate', SCOPE);
}

export async function compareOnCases(caseIds: string[], protocols: [ProtocolName, ProtocolName]): Promise<void> {
  if (protocolCompare.running) throw new Error('A comparison is already running: cancel it or wait for it to finish.');
  if (protocols[0] === protocols[1]) throw new Error('Choose two different protocols to compare.');
  if (!engineStatus().ready) throw new Error('Load a model on the Models screen first.');
  const candidates = await db.candidates.where('caseId').anyOf(caseIds).toArray();
  if (!candidates.length) throw new Error('These cases have no candidate replies to judge. Import predictions or add candidates first.');
  const labels = new Map(candidates.map((c) => [c.id, c.label]));
  Object.assign(protocolCompare, { result: null, error: null, message: null });
  const runs: ProtocolRun[] = [];
  try {
    for (const protocol of protocols) {
      protocolCompare.running = protocol;
      protocolCompare.progress = { done: 0, total: 1, text: 'Starting…' };
      const started = performance.now();
      const outcome = await jobs.start({ kind: 'evaluate', caseIds: [...caseIds], settings: protocolSettings(protocol) }, {
        label: `Compare protocols: ${PROTOCOLS[protocol].title}`,
        scope: SCOPE,
        where: { screen: 'batch' },
        onProgress: (p) => (protocolCompare.progress = p),
        cancelledMessage: 'Comparison cancelled. What was judged is kept and reused by the next comparison.',
      });
      if (outcome.status !== 'done') {
        protocolCompare[outcome.status === 'cancelled' ? 'message' : 'error'] = `${PROTOCOLS[protocol].title}: ${outcome.message}`;
        return;
      }
      runs.push({
        protocol, ms: performance.now() - started, usage: outcome.value.usage,
        results: outcome.value.scored.map((s) => ({ ...s, label: labels.get(s.candidateId) ?? null })),
      });
    }
    protocolCompare.result = compareProtocols(runs[0], runs[1]);
  } finally {
    protocolCompare.running = null;
    protocolCompare.progress = null;
  }
}

export function cancelComparison(): void {
  const job = comparisonJob();
  if (job) jobs.cancel(job.id);
}
