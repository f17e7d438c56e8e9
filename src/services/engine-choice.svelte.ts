// Which loaded model the evaluating screens use: the Models screen's, or, only when the e2e
// harness enabled it (see test-engine.ts), a deterministic scripted test engine.
import type { ChatEngine } from '../llm/engine.ts';
import { models } from './models.svelte.ts';

// Raw state (an engine is a class instance, never to be proxied): replaced whole, not mutated.
let override = $state.raw<{ engine: ChatEngine | null; error: string | null }>({ engine: null, error: null });

export function loadedEngine(): ChatEngine | null {
  return override.engine ?? models.chatEngine();
}

export function testEngineState(): { engine: ChatEngine | null; error: string | null } {
  return override;
}

export function setTestEngine(engine: ChatEngine | null, error: string | null = null): void {
  override = { engine, error };
}
