// TEST HOOK, for the browser tests only. With `?test-engine=scripted` in the page URL, the app
// offers a scripted (deterministic) engine, loaded from /test-assets/e2e/scripted-engine.js.
// That file is built from test/helpers/scripted-engine.ts by the e2e harness into
// test/.generated/, which only the test server mounts at /test-assets/; the app's own build
// never contains it, and without the URL parameter nothing here runs. It is never a default.
import type { ChatEngine } from '../llm/engine.ts';
import { setTestEngine } from './engine-choice.svelte.ts';

export const TEST_ENGINE_URL = '/test-assets/e2e/scripted-engine.js';

export function testEngineRequested(): boolean {
  return new URLSearchParams(location.search).get('test-engine') === 'scripted';
}

/** Loads the scripted engine; options come from the URL (delay per call, steps made to fail). */
export async function useScriptedTestEngine(): Promise<void> {
  const params = new URLSearchParams(location.search);
  try {
    const mod = (await import(/* @vite-ignore */ TEST_ENGINE_URL)) as { createEngine(o: { delayMs: number; fail: string[] }): ChatEngine };
    setTestEngine(mod.createEngine({
      delayMs: Number(params.get('delay') ?? 0),
      fail: (params.get('fail') ?? '').split(',').filter(Boolean),
    }));
  } catch (e) {
    setTestEngine(null, `The scripted test engine is only available under the browser tests (${(e as Error).message}).`);
  }
}
