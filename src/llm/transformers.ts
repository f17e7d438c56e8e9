// The Transformers.js adapter: runs an ONNX decoder model with @huggingface/transformers, in
// Node (onnxruntime-node, device "cpu") or in a browser worker (device "webgpu" when an
// adapter exists, else "wasm"). Same code in both; the worker shell only relays messages.
//
// Choices the library leaves to us, stated once:
// - Sampling: the library's sampler has no per-request seed, so we decode greedily and, when
//   temperature > 0, add Gumbel noise drawn from a PRNG seeded with `seed` to logits/T. The
//   argmax of (logits/T + Gumbel) is an exact sample from softmax(logits/T) (the Gumbel-max
//   trick), so the same seed, prompt and model give the same tokens; temperature 0 is greedy.
//   Without a seed, the PRNG is seeded from the OS.
// - JSON schema: Transformers.js has no grammar-constrained decoding, so info.constrainedJson
//   is false and `jsonSchema` is not enforced here; the method validates answers and retries.
// - Log-probabilities: log-softmax of the model's raw logits (before temperature) for each
//   chosen token, with up to 5 top alternatives.
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  BaseStreamer,
  LogitsProcessor,
  LogitsProcessorList,
  StoppingCriteria,
  StoppingCriteriaList,
  Tensor,
  type TextStreamer,
  env,
  random,
  type DataType,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type ProgressInfo,
} from '@huggingface/transformers';
import type {
  ChatEngine,
  ChatRequest,
  ChatResult,
  Engine,
  EngineInfo,
  LoadOptions,
  TokenLogprob,
} from './engine.ts';
import { EngineError, toEngineError } from './errors.ts';
import { checkChatRequest } from './request.ts';

export type TransformersDevice = 'webgpu' | 'wasm' | 'cpu';

export interface TransformersOptions {
  /**
   * Where models live: a folder in Node, a URL prefix in the browser (same origin, e.g.
   * "/test-assets/", or the user's chosen folder URL). `load(model)` reads `<this><model>/`.
   */
  localModelPath?: string;
  /** Off unless the user turns it on; tests keep it off. */
  allowRemoteModels?: boolean;
  remoteHost?: string;
  /** Default: "webgpu" when an adapter exists, else "wasm"; "cpu" in Node. */
  device?: TransformersDevice;
  /** Default: chosen from the device's capabilities (see chooseDtype). */
  dtype?: DataType;
  /** Where the ONNX Runtime wasm files are served (the app's own /ort/, never a CDN). */
  wasmPaths?: string;
  /** Use the browser's Cache API for model files (default true in browsers). */
  useBrowserCache?: boolean;
}

export interface TransformersRuntime {
  device: TransformersDevice;
  dtype: DataType;
}

export type LoadedTransformersEngine = ChatEngine & { readonly runtime: TransformersRuntime };

export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.asyncify';

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof self === 'undefined';

interface Capabilities {
  webgpu: boolean;
  shaderF16: boolean;
}

async function detectCapabilities(): Promise<Capabilities> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) return { webgpu: false, shaderF16: false };
  try {
    const adapter = await gpu.requestAdapter();
    return { webgpu: !!adapter, shaderF16: !!adapter?.features.has('shader-f16') };
  } catch {
    return { webgpu: false, shaderF16: false };
  }
}

/** 4-bit weights on the GPU (f16 activations only where shader-f16 exists), 8-bit on the CPU. */
export function chooseDtype(device: TransformersDevice, shaderF16: boolean): DataType {
  if (device === 'webgpu') return shaderF16 ? 'q4f16' : 'q4';
  return 'q8';
}

/** Configures the library's global env; call before loading. */
function configureEnv(options: TransformersOptions, signal?: AbortSignal) {
  env.allowRemoteModels = options.allowRemoteModels ?? false;
  env.allowLocalModels = true;
  if (options.localModelPath) env.localModelPath = options.localModelPath;
  if (options.remoteHost) env.remoteHost = options.remoteHost;
  if (!isNode) {
    env.useBrowserCache = options.useBrowserCache ?? true;
    const prefix = options.wasmPaths ?? '/ort/';
    const onnxWasm = env.backends.onnx.wasm;
    if (onnxWasm) onnxWasm.wasmPaths = { mjs: `${prefix}${ORT_WASM_FILE}.mjs`, wasm: `${prefix}${ORT_WASM_FILE}.wasm` };
  }
  // Every model-file request carries the load's AbortSignal, so cancel stops downloads.
  env.fetch = (input: string | URL, init?: RequestInit) => fetch(input, { ...init, signal });
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new EngineError('aborted', 'load cancelled');
}

export class TransformersEngine implements Engine {
  readonly kind = 'transformers' as const;
  private loaded: TransformersChatEngine | null = null;

  constructor(private readonly options: TransformersOptions = {}) {}

  async load(model: string, options: LoadOptions = {}): Promise<LoadedTransformersEngine> {
    const { onProgress, signal } = options;
    await this.unload();
    try {
      throwIfAborted(signal);
      const caps = isNode ? { webgpu: false, shaderF16: false } : await detectCapabilities();
      const device: TransformersDevice = this.options.device ?? (isNode ? 'cpu' : caps.webgpu ? 'webgpu' : 'wasm');
      if (device === 'webgpu' && !isNode && !caps.webgpu) throw new EngineError('no-webgpu', 'no WebGPU adapter');
      const dtype = this.options.dtype ?? chooseDtype(device, caps.shaderF16);
      configureEnv(this.options, signal);

      onProgress?.({ progress: 0, text: `Loading ${model} (${device}, ${dtype})` });
      let fraction = 0; // monotonic: overall bytes so far, capped until the model is ready
      const progress_callback = (p: ProgressInfo) => {
        if (p.status === 'progress_total') {
          fraction = Math.max(fraction, Math.min(p.progress / 100, 0.99));
          onProgress?.({
            progress: fraction,
            text: `Downloading ${model}`,
            loadedBytes: p.loaded,
            totalBytes: p.total,
          });
        } else if (p.status === 'done') {
          onProgress?.({ progress: fraction, text: `Loaded ${p.file}` });
        }
      };
      const tokenizer = await AutoTokenizer.from_pretrained(model, { progress_callback });
      throwIfAborted(signal);
      const lm = await AutoModelForCausalLM.from_pretrained(model, { device, dtype, progress_callback });
      if (signal?.aborted) {
        await lm.dispose();
        throw new EngineError('aborted', 'load cancelled');
      }
      const config = lm.config as unknown as { max_position_embeddings?: number };
      // Some tokenizers say model_max_length = 1e30 ("no limit"): not a usable window.
      const tokenizerLimit = tokenizer.model_max_length < 1e7 ? tokenizer.model_max_length : undefined;
      const info: EngineInfo = {
        kind: 'transformers',
        model,
        contextWindow: config.max_position_embeddings ?? tokenizerLimit ?? 2048,
        constrainedJson: false,
        logprobs: true,
      };
      if (!isNode) yieldDuringGeneration(lm);
      this.loaded = new TransformersChatEngine(info, tokenizer, lm, { device, dtype });
      onProgress?.({ progress: 1, text: `Ready: ${model}` });
      return this.loaded;
    } catch (e) {
      throw toEngineError(signal?.aborted ? new EngineError('aborted', 'load cancelled', { cause: e }) : e);
    }
  }

  async unload(): Promise<void> {
    const current = this.loaded;
    this.loaded = null;
    await current?.dispose();
  }
}

/**
 * In a browser worker, ONNX Runtime's wasm backend can run a whole generation without giving
 * the event loop a turn, so an abort message would only be read after the last token. A
 * macrotask turn before a decoding step, at most every YIELD_EVERY_MS, lets it in without
 * costing fast models a turn per token.
 */
const YIELD_EVERY_MS = 15;

function yieldDuringGeneration(model: PreTrainedModel) {
  const forward = model.forward.bind(model);
  let lastYield = performance.now();
  model.forward = async (inputs: Parameters<typeof forward>[0]) => {
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await nextMacrotask();
      lastYield = performance.now();
    }
    return forward(inputs);
  };
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Seeded Gumbel-max sampling (see the header comment); records log-probabilities on request. */
class SeededSampling extends LogitsProcessor {
  private readonly rng: InstanceType<typeof random.Random> | null;
  /** Log-softmax of the raw logits at each step, when log-probabilities were asked for. */
  readonly steps: Float32Array[] = [];

  constructor(private readonly temperature: number, seed: number | undefined, private readonly keepLogprobs: boolean) {
    super();
    this.rng = temperature > 0 ? new random.Random(seed ?? undefined) : null;
  }

  _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const data = logits.data as Float32Array;
    if (this.keepLogprobs) this.steps.push(logSoftmax(data));
    if (this.rng) {
      for (let i = 0; i < data.length; i++) {
        // -log(-log(U)) with U in (0,1): standard Gumbel noise.
        const u = Math.max(this.rng.random(), Number.MIN_VALUE);
        data[i] = data[i] / this.temperature - Math.log(-Math.log(u));
      }
    }
    return logits;
  }
}

/** The `k` highest-scoring indices, best first: one pass, since vocabularies run to 150k. */
function topIndices(scores: Float32Array, k: number): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  for (let i = 0; i < scores.length; i++) {
    if (best.length === k && scores[i] <= scores[best[k - 1]]) continue;
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && scores[best[j - 1]] < scores[i]) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

function logSoftmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logZ = max + Math.log(sum);
  return logits.map((v) => v - logZ);
}

class AbortCriterion extends StoppingCriteria {
  constructor(private readonly isStopped: () => boolean) {
    super();
  }
  _call(inputIds: number[][]): boolean[] {
    const stop = this.isStopped();
    return inputIds.map(() => stop);
  }
}

/**
 * Streams text token by token; holds back a tail that is still an incomplete UTF-8 sequence.
 * Decodes only the tokens since the last newline (as the library's TextStreamer does), so a
 * long answer costs linear, not quadratic, decoding work.
 */
export class TokenStreamer extends BaseStreamer {
  readonly tokens: bigint[] = [];
  private settled = ''; // text up to the last newline
  private pending: bigint[] = []; // tokens after it
  private emitted = '';
  private promptSeen = false;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;

  /** Without `onDelta` nothing is decoded until the end. */
  constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly onDelta?: (delta: string) => void,
  ) {
    super();
  }

  put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    const now = performance.now();
    this.firstTokenAt ??= now;
    this.lastTokenAt = now;
    this.tokens.push(...value[0]);
    this.pending.push(...value[0]);
    if (this.onDelta) this.flush(false);
  }

  end(): void {
    this.flush(true);
  }

  get text(): string {
    return this.emitted;
  }

  private flush(final: boolean) {
    // The library's decode() rejects an empty list.
    const tail = this.pending.length ? this.tokenizer.decode(this.pending, { skip_special_tokens: true }) : '';
    const text = this.settled + tail;
    if (!final && text.endsWith('\uFFFD')) return;
    // Byte-level decoding only ever appends; the answer is exactly the streamed pieces.
    if (text.length > this.emitted.length) {
      const delta = text.slice(this.emitted.length);
      this.emitted += delta;
      this.onDelta?.(delta);
    }
    if (text.endsWith('\n')) {
      this.settled = this.emitted;
      this.pending = [];
    }
  }
}

class TransformersChatEngine implements ChatEngine {
  constructor(
    readonly info: EngineInfo,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly runtime: TransformersRuntime,
  ) {}

  async countTokens(text: string): Promise<number> {
    return this.tokenizer.encode(text, { add_special_tokens: false }).length;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const { signal } = request;
    checkChatRequest(request, this.info);
    try {
      const prompt = this.tokenizer.apply_chat_template(request.messages, {
        add_generation_prompt: true,
        tokenize: false,
      }) as string;
      const inputs = this.tokenizer(prompt, { add_special_tokens: false });
      const promptTokens = (inputs.input_ids as Tensor).dims.at(-1) ?? 0;
      if (promptTokens >= this.info.contextWindow) {
        throw new EngineError('context-overflow', `the prompt has ${promptTokens} tokens; the context window holds ${this.info.contextWindow}`);
      }
      const maxTokens = Math.max(1, Math.min(request.maxTokens ?? Infinity, this.info.contextWindow - promptTokens));

      const sampling = new SeededSampling(request.temperature ?? 1, request.seed, !!request.logprobs);
      const processors = new LogitsProcessorList();
      processors.push(sampling);
      const stopped = () => !!signal?.aborted;
      const criteria = new StoppingCriteriaList();
      criteria.push(new AbortCriterion(stopped));
      const streamer = new TokenStreamer(this.tokenizer, request.onToken);

      const start = performance.now();
      if (!stopped()) {
        await this.model.generate({
          ...inputs,
          max_new_tokens: maxTokens,
          do_sample: false,
          logits_processor: processors,
          stopping_criteria: criteria,
          // generate()'s typings ask for a TextStreamer, but it only calls put() and end().
          streamer: streamer as unknown as TextStreamer,
        });
      } else streamer.end();

      const completionTokens = streamer.tokens.length;
      const eos = new Set([this.model.generation_config?.eos_token_id ?? []].flat().map((id) => BigInt(id)));
      const endedOnEos = completionTokens > 0 && eos.has(streamer.tokens[completionTokens - 1]);
      const first = streamer.firstTokenAt;
      const last = streamer.lastTokenAt;
      return {
        text: streamer.text,
        finishReason: stopped() ? 'abort' : endedOnEos || completionTokens < maxTokens ? 'stop' : 'length',
        usage: {
          promptTokens,
          completionTokens,
          timeToFirstTokenMs: first === undefined ? undefined : first - start,
          prefillTokensPerSecond: first === undefined ? undefined : promptTokens / ((first - start) / 1000),
          decodeTokensPerSecond:
            first !== undefined && last !== undefined && completionTokens > 1
              ? (completionTokens - 1) / ((last - first) / 1000)
              : undefined,
        },
        logprobs: request.logprobs ? this.logprobs(sampling.steps, streamer.tokens, request.topLogprobs ?? 0) : undefined,
      };
    } catch (e) {
      throw toEngineError(e);
    }
  }

  private logprobs(steps: Float32Array[], tokens: bigint[], topN: number): TokenLogprob[] {
    const top = Math.min(Math.max(0, topN), 5);
    const piece = (id: number) => this.tokenizer.decode([id], { skip_special_tokens: false });
    return tokens.map((token, i) => {
      const scores = steps[i];
      const id = Number(token);
      const best = topIndices(scores, top);
      return {
        token: piece(id),
        logprob: scores[id],
        top: best.map((j) => ({ token: piece(j), logprob: scores[j] })),
      };
    });
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
