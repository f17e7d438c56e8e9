// The run header: everything that determines a run's results, in one record (src/domain/settings.ts).
import type { EngineInfo } from '../llm/engine.ts';
import type { EvaluationSettings, RunHeader } from '../domain/settings.ts';
import { ATTUNE_VERSION } from '../lib/version.ts';
import { JUDGE_PROMPT_VERSION } from './keys.ts';
import type { JudgeTemplate } from './template.ts';

export interface RunHeaderInput {
  settings: EvaluationSettings;
  engine: EngineInfo;
  /** The files read, with the SHA-256 of their bytes. */
  data: { file: string; sha256: string }[];
  judgeTemplate?: JudgeTemplate;
  startedAt: Date;
}

export function runHeader(i: RunHeaderInput): RunHeader {
  return {
    type: 'attune-run',
    format: 1,
    attuneVersion: ATTUNE_VERSION,
    promptVersion: JUDGE_PROMPT_VERSION,
    protocol: i.settings.protocol,
    settings: i.settings,
    engine: { kind: i.engine.kind, model: i.engine.model, contextWindow: i.engine.contextWindow },
    data: i.data,
    judgeTemplate: i.judgeTemplate ? { name: i.judgeTemplate.name, sha256: i.judgeTemplate.sha256 } : null,
    startedAt: i.startedAt.toISOString(),
  };
}
