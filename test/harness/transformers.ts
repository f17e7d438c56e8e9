// Exposes the Transformers.js worker client to browser tests and `npm run bench:engine`
// (harness/transformers.html). The library itself is loaded only when the benchmark asks
// for it, as the baseline the adapter is compared with.
import { TransformersWorkerEngine } from '../../src/llm/transformers-client.ts';

declare global {
  interface Window {
    attuneHarness?: {
      TransformersWorkerEngine: typeof TransformersWorkerEngine;
      loadLibrary: () => Promise<typeof import('@huggingface/transformers')>;
    };
  }
}

window.attuneHarness = { TransformersWorkerEngine, loadLibrary: () => import('@huggingface/transformers') };
document.body.dataset.ready = 'true';
