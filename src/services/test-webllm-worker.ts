// TEST HOOK, for the browser tests only (like test-engine.ts, and kept apart from it so the model
// manager does not import the engine choice that imports it).
export const WEBLLM_STANDIN_URL = '/test-assets/e2e/webllm-standin.js';

/**
 * TEST HOOK: with `?webllm-worker=standin` in the page URL, WebLLM's worker is a stand-in engine
 * behind WebLLM's own handler (test/e2e/support/webllm-standin-worker.ts, served only by the test
 * server), so the browser tests can drive the real adapter through a prefill that ignores
 * interrupts. The page's query (e.g. `prefill=8000`) is passed on to it, with the worker's number
 * (0 for the first, 1 for the one that replaces it, …). Without the parameter: undefined, and
 * WebLLM's real worker is used.
 */
export function webllmTestWorker(): (() => Worker) | undefined {
  if (typeof location === 'undefined' || new URLSearchParams(location.search).get('webllm-worker') !== 'standin') return undefined;
  let started = 0;
  return () => new Worker(`${WEBLLM_STANDIN_URL}${location.search}&worker=${started++}`, { type: 'module', name: 'webllm-standin' });
}
