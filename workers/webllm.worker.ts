// WebLLM's own worker handler, by the book: the page's WebWorkerMLCEngine sends it requests,
// it runs the MLCEngine (model download, WebGPU, generation) off the main thread.
import { WebWorkerMLCEngineHandler } from '@mlc-ai/web-llm';

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (message: MessageEvent) => handler.onmessage(message);
