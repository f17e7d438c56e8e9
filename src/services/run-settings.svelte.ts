// The settings a run is made with, as the Evaluate and Batch screens edit them: a named protocol
// (src/method/protocols.ts), whose choice fills every field, and the few fields a person may
// change over it (the run then records itself as a custom variant of the protocol). One instance
// per screen, kept for the session, so a job's results stay selected when the screen comes back.
import type { EvaluationSettings, ProtocolName } from '../domain/settings.ts';
import { customizedFields, DEFAULT_PROTOCOL, PROTOCOLS, protocolSettings } from '../method/protocols.ts';

export class RunSettingsStore {
  protocol = $state<ProtocolName>(DEFAULT_PROTOCOL);
  mode = $state<EvaluationSettings['mode']>('fixed');
  k = $state(1);
  lambda = $state(0.5);
  retries = $state(2);
  seed = $state(42);
  missingCriteria = $state<EvaluationSettings['missingCriteria']>('derive');
  injectionPolicy = $state<EvaluationSettings['injectionPolicy']>('score-1');

  constructor(protocol: ProtocolName = DEFAULT_PROTOCOL) {
    this.choose(protocol);
  }

  /** Takes every field from the named protocol. */
  choose(name: ProtocolName): void {
    const s = PROTOCOLS[name].settings;
    this.protocol = name;
    this.mode = s.mode;
    this.k = s.k;
    this.lambda = s.lambda;
    this.retries = s.retries;
    this.seed = s.seed;
    this.missingCriteria = s.missingCriteria;
    this.injectionPolicy = s.injectionPolicy;
  }

  /** The complete settings a job is started with. */
  get settings(): EvaluationSettings {
    return protocolSettings(this.protocol, {
      mode: this.mode, k: this.k, lambda: this.lambda, retries: this.retries, seed: this.seed,
      missingCriteria: this.missingCriteria, injectionPolicy: this.injectionPolicy,
    });
  }

  /** The fields that differ from the protocol's own (empty: the protocol as named). */
  get customized(): string[] {
    return customizedFields(this.settings);
  }
}

export const evaluateSettings = new RunSettingsStore();
export const batchSettings = new RunSettingsStore();
