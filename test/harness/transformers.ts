// Exposes the Transformers.js worker client to browser tests (harness/transformers.html).
import { TransformersWorkerEngine } from '../../src/llm/transformers-client.ts';

declare global {
  interface Window {
    attuneHarness?: { TransformersWorkerEngine: typeof TransformersWorkerEngine };
  }
}

window.attuneHarness = { TransformersWorkerEngine };
document.body.dataset.ready = 'true';
