// A TEST DOUBLE for the browser tests: WebLLM's own worker handler (WebWorkerMLCEngineHandler,
// the one workers/webllm.worker.ts runs) with a stand-in engine behind it in place of MLCEngine,
// so the page's real adapter (src/llm/webllm.ts, WebWorkerMLCEngine) is driven through WebLLM's
// real message protocol without a GPU or model files. It behaves as WebLLM does where that
// matters to the app's life cycle:
// - one request at a time (a request waits for the one before it);
// - the prefill of a request takes `prefill` ms and ignores interruptGenerate, which is only
//   noticed between decode steps (with `slow-workers=N`, only in the first N workers the page
//   starts: the page numbers them, so a replacement worker can be fast);
// - unload waits for the running request (WebLLM's waits for the busy GPU queue);
// - a prompt longer than the context window the model's library allows fails as WebLLM's does.
// Loading takes `load-ms` (1 s unless set) with WebLLM-like progress reports in two phases.
// Answers are the method's canned answers (test/helpers/canned.ts), streamed a few characters
// at a time. Options come from the worker URL's query (the page passes its own on).
import { WebWorkerMLCEngineHandler, type AppConfig, type ChatCompletionChunk, type ChatCompletionRequest, type InitProgressReport } from '@mlc-ai/web-llm';
import { cannedAnswer } from '../../helpers/canned.ts';

const params = new URLSearchParams(self.location.search);
const prefillMs = Number(params.get('prefill') ?? 0);
const slow = !params.has('slow-workers') || Number(params.get('worker')) < Number(params.get('slow-workers'));
const pieceMs = Number(params.get('piece-ms') ?? 2);
/** A load (from the cache) takes this long, spread over its progress reports. */
const loadMs = Number(params.get('load-ms') ?? 1000);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The stand-in's tokenizer: about four bytes a token, as BPE vocabularies give for English. */
const tokensOf = (text: string) => Math.ceil(new TextEncoder().encode(text).length / 4);

class StandInEngine {
  private appConfig: AppConfig | undefined;
  private progress: (r: InitProgressReport) => void = () => {};
  private modelId: string | undefined;
  private contextWindow = Infinity;
  private interrupted = false;
  /** Settles when the running request (if any) has finished: WebLLM's one-at-a-time lock. */
  private busy: Promise<void> = Promise.resolve();

  setAppConfig(config: AppConfig) {
    this.appConfig = config;
  }

  setInitProgressCallback(callback: (r: InitProgressReport) => void) {
    this.progress = callback;
  }

  setLogLevel() {}

  async reload(modelId: string | string[]) {
    const id = Array.isArray(modelId) ? modelId[0] : modelId;
    const record = this.appConfig?.model_list.find((r) => r.model_id === id);
    if (!record) throw new Error(`Cannot find model record in appConfig for ${id}`);
    const base = record.model.endsWith('/') ? record.model : `${record.model}/`;
    const configUrl = base.includes('resolve/main/') ? `${base}mlc-chat-config.json` : `${base}resolve/main/mlc-chat-config.json`;
    // The library's own limit, where its config says; the app's override may only lower it.
    const config = await fetch(configUrl).then((r) => (r.ok ? r.json() : undefined)).catch(() => undefined) as { context_window_size?: number } | undefined;
    const built = typeof config?.context_window_size === 'number' ? config.context_window_size : Infinity;
    const asked = record.overrides?.context_window_size ?? 4096;
    this.contextWindow = Math.min(built, asked);
    for (const [i, phase] of ['Fetching param cache', 'Loading GPU shader modules'].entries()) {
      for (let step = 0; step <= 4; step++) {
        this.progress({ progress: step / 4, timeElapsed: i + step, text: `${phase}[${step}/4]: ${step * 40}MB fetched. ${step * 25}% completed, ${i + step} secs elapsed.` });
        await sleep(loadMs / 10);
      }
    }
    this.progress({ progress: 1, timeElapsed: 2, text: 'Finish loading on WebGPU - stand-in' });
    this.modelId = id;
  }

  interruptGenerate() {
    this.interrupted = true;
  }

  async unload() {
    await this.busy;
    this.modelId = undefined;
  }

  async chatCompletion(request: ChatCompletionRequest) {
    if (!this.modelId) throw new Error('Model not loaded before trying to complete ChatCompletionRequest.');
    let release: () => void = () => {};
    const before = this.busy;
    this.busy = new Promise<void>((resolve) => (release = resolve));
    await before;
    this.interrupted = false;
    const messages = request.messages.map((m) => ({ role: m.role as 'system' | 'user' | 'assistant', content: String(m.content ?? '') }));
    const promptTokens = messages.reduce((n, m) => n + tokensOf(m.content) + 4, 0);
    const maxTokens = request.max_tokens ?? 0;
    if (promptTokens + maxTokens > this.contextWindow) {
      release();
      throw new Error(`ContextWindowSizeExceededError: Prompt tokens exceed context window size: number of prompt tokens: ${promptTokens + maxTokens}; context window size: ${this.contextWindow}`);
    }
    const self = this;
    const model = this.modelId;
    const chunk = (content: string, finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
      id: 'standin', object: 'chat.completion.chunk', created: 0, model,
      choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: finish, logprobs: null }],
    });
    return (async function* generate() {
      try {
        // Prefill: interruptGenerate is not looked at until it is over.
        if (slow && prefillMs) await sleep(prefillMs);
        const text = cannedAnswer(messages, request.seed ?? 0);
        const pieces = text.match(/[\s\S]{1,4}/g) ?? [];
        const limit = maxTokens || pieces.length;
        let sent = 0;
        let finish: 'stop' | 'length' | 'abort' = 'stop';
        for (const piece of pieces) {
          if (self.interrupted) {
            finish = 'abort';
            break;
          }
          if (sent === limit) {
            finish = 'length';
            break;
          }
          await sleep(pieceMs);
          sent++;
          yield chunk(piece);
        }
        yield chunk('', finish);
        const usage = { prompt_tokens: promptTokens, completion_tokens: sent, total_tokens: promptTokens + sent };
        yield { ...chunk(''), choices: [], usage } as unknown as ChatCompletionChunk;
      } finally {
        release();
      }
    })();
  }
}

const handler = new WebWorkerMLCEngineHandler();
(handler as unknown as { engine: StandInEngine }).engine = new StandInEngine();
(handler.engine as unknown as StandInEngine).setInitProgressCallback((report) => handler.postMessage({ kind: 'initProgressCallback', uuid: '', content: report }));
self.onmessage = (message: MessageEvent) => handler.onmessage(message);
