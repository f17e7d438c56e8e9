// Thin shell around the Transformers.js adapter: loads and unloads on request, then serves
// the loaded model on the MessagePort the page sent (port-engine protocol: streamed tokens,
// abort, coded errors). All logic lives in src/llm/transformers.ts.
import { TransformersEngine } from '../src/llm/transformers.ts';
import { serveEngine } from '../src/llm/port-engine.ts';
import { toWireError } from '../src/llm/errors.ts';
import type { FromTransformersWorker, ToTransformersWorker } from '../src/llm/transformers-client.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let engine: TransformersEngine | null = null;
let stopServing: (() => void) | null = null;
const loads = new Map<number, AbortController>();
const send = (m: FromTransformersWorker) => scope.postMessage(m);

async function unload() {
  stopServing?.();
  stopServing = null;
  await engine?.unload();
  engine = null;
}

scope.onmessage = async ({ data: m }: MessageEvent<ToTransformersWorker>) => {
  if (m.type === 'cancel-load') {
    loads.get(m.id)?.abort();
    return;
  }
  try {
    await unload();
    if (m.type === 'unload') {
      send({ type: 'unloaded', id: m.id });
      return;
    }
    const controller = new AbortController();
    loads.set(m.id, controller);
    engine = new TransformersEngine(m.options);
    const chat = await engine.load(m.model, {
      signal: controller.signal,
      onProgress: (progress) => send({ type: 'progress', id: m.id, progress }),
    });
    stopServing = serveEngine(m.port, chat);
    send({ type: 'loaded', id: m.id, info: chat.info, runtime: chat.runtime });
  } catch (e) {
    send({ type: 'error', id: m.id, error: toWireError(e) });
  } finally {
    loads.delete(m.id);
  }
};
