// The one interface between Attune's method and any language model. The method sees only
// `ChatEngine`; the app and the CLI also load and unload through `Engine`.
// Shaped after OpenAI's chat completions, as WebLLM's own API is.

/** Seed distance between the samples of one request: sample i is seeded as if sent alone with seed + i·SAMPLE_SEED_STRIDE. */
export const SAMPLE_SEED_STRIDE = 1_000_003;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  temperature?: number;
  /** Must be an integer (WebLLM rejects others). */
  seed?: number;
  maxTokens?: number;
  /** JSON Schema the answer must follow; engines that can constrain decoding do so. */
  jsonSchema?: Record<string, unknown>;
  /** Ask for per-token log-probabilities with up to `topLogprobs` (≤ 5) alternatives. */
  logprobs?: boolean;
  topLogprobs?: number;
  signal?: AbortSignal;
  /** Called with each streamed piece of text, in order. */
  onToken?: (delta: string) => void;
  /**
   * Independent samples of the same prompt (OpenAI's `n`), returned in `ChatResult.choices`;
   * only engines whose info.multiSample is true honour it. Sample i is seeded as if sent alone
   * with seed + i·SAMPLE_SEED_STRIDE.
   */
  n?: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  timeToFirstTokenMs?: number;
  decodeTokensPerSecond?: number;
  prefillTokensPerSecond?: number;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export interface ChatChoice {
  text: string;
  finishReason: 'stop' | 'length' | 'abort';
  logprobs?: TokenLogprob[];
}

export interface ChatResult {
  text: string;
  finishReason: 'stop' | 'length' | 'abort';
  usage: Usage;
  logprobs?: TokenLogprob[];
  /** With `n` > 1: every sample, in order (the first is also `text`). Usage covers them all. */
  choices?: ChatChoice[];
}

export type EngineKind = 'webllm' | 'transformers' | 'openai' | 'scripted';

export interface EngineInfo {
  kind: EngineKind;
  model: string;
  /** Tokens the model can attend to, prompt and answer together. */
  contextWindow: number;
  /** True when `jsonSchema` constrains decoding; otherwise answers are validated and retried. */
  constrainedJson: boolean;
  logprobs: boolean;
  /** True when one request can return several samples (`ChatRequest.n`), sending the prompt once. */
  multiSample?: boolean;
}

export interface LoadProgress {
  /** 0..1 */
  progress: number;
  text: string;
  loadedBytes?: number;
  totalBytes?: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

/** What the method needs: a loaded model that answers and counts tokens. */
export interface ChatEngine {
  readonly info: EngineInfo;
  chat(request: ChatRequest): Promise<ChatResult>;
  countTokens(text: string): Promise<number>;
}

/**
 * How long (ms) an engine's unload may take before its worker is terminated anyway: an unload
 * can wait for a busy GPU queue (WebLLM) or a worker that does not answer, and must still end.
 */
export const UNLOAD_TIMEOUT_MS = 5000;

/** An adapter: loads a model, then serves as a ChatEngine until unloaded. */
export interface Engine {
  readonly kind: EngineKind;
  load(model: string, options?: LoadOptions): Promise<ChatEngine>;
  unload(): Promise<void>;
}
