// Every engine failure, whatever library raised it, becomes one EngineError with a code the
// app can branch on and a message a person can act on. Adapters throw EngineError; the UI
// shows `userMessage`; the original error stays in `cause` for the console. Across a worker
// boundary it travels as an EngineWireError and is rebuilt on the other side, code intact.
// Only transient causes (isTransient) are worth asking again.

export type EngineErrorCode =
  | 'no-webgpu'
  | 'out-of-memory'
  | 'device-lost'
  | 'quota'
  | 'download-failed'
  | 'offline'
  | 'missing-files'
  | 'library-mismatch'
  | 'aborted'
  | 'no-model'
  | 'unauthorized'
  | 'model-not-found'
  | 'context-overflow'
  | 'bad-request'
  | 'rate-limited'
  | 'server-error'
  | 'bad-response'
  | 'http'
  | 'timeout'
  | 'unknown';

export const ENGINE_ERROR_CODES: readonly EngineErrorCode[] = [
  'no-webgpu',
  'out-of-memory',
  'device-lost',
  'quota',
  'download-failed',
  'offline',
  'missing-files',
  'library-mismatch',
  'aborted',
  'no-model',
  'unauthorized',
  'model-not-found',
  'context-overflow',
  'bad-request',
  'rate-limited',
  'server-error',
  'bad-response',
  'http',
  'timeout',
  'unknown',
];

/** Causes that may pass if the same request is sent again; every other error stops a run at once. */
const TRANSIENT: ReadonlySet<EngineErrorCode> = new Set(['timeout', 'server-error', 'rate-limited', 'bad-response']);

const USER_MESSAGES: Record<EngineErrorCode, string> = {
  'no-webgpu':
    'This browser offers no WebGPU, so WebLLM models cannot run here. Use the Transformers.js engine (slower, on the CPU), or open Attune in a recent Chrome or Edge with hardware acceleration on.',
  'out-of-memory':
    'The graphics card ran out of memory for this model. Choose a smaller model, a q4f32 build or a "-1k" (short context) variant, and close other tabs that use the GPU.',
  'device-lost':
    'The graphics device was lost (the GPU driver reset or the model needed more memory than it could give). Reload the page, then try a smaller model or a q4f32 / "-1k" variant.',
  quota:
    'The browser has no storage room left for this model. Delete models you no longer need on the Models screen, press "Keep storage" to ask for persistent storage, or free disk space.',
  'download-failed':
    'Downloading the model failed. Check the connection and the model URL, then try again; files already downloaded are kept. On a machine without internet, side-load the model\'s folder instead ("Side-load folder" on the Models screen).',
  offline:
    'The model is not in this browser\'s cache and the network is unreachable. Connect once to download it, or side-load its files from a folder on the Models screen.',
  'missing-files':
    'The model files are missing or not model files (the server answered with a web page or an error instead). Check the model\'s URLs, or side-load the complete model folder again.',
  'library-mismatch':
    'The model library (.wasm) does not match this version of the engine. Use a model library compiled for this WebLLM version, or pick a model from the catalog.',
  aborted: 'Stopped.',
  'no-model': 'No model is loaded. Load one on the Models screen, then try again.',
  unauthorized: 'The model server refused the API key (it answered 401 or 403). Check the key, or that it may use this model.',
  'model-not-found': 'The model server has no model by that name. Check the model name against the models the server offers.',
  'context-overflow': 'The prompt is longer than the model\'s context window. Use a model with a longer context, or lower the memory and answer budgets.',
  'bad-request': 'The model rejected the request as malformed. This is a bug in Attune or an option the engine does not support; the details are in the console.',
  'rate-limited': 'The model server is rate-limiting requests (HTTP 429). Wait a little, or lower the concurrency.',
  'server-error': 'The model server failed while answering (HTTP 5xx). It may be overloaded or restarting; try again shortly.',
  'bad-response': 'The model server sent an answer that could not be read. Try again; if it persists, check the server\'s logs.',
  http: 'The model server answered with an error. Check its URL, API key and model name.',
  timeout: 'The model took too long to answer. Try again, use a smaller model, or lower the maximum answer length.',
  unknown: 'The engine failed unexpectedly. Reload the page and try again; if it persists, try another model.',
};

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly userMessage: string;

  constructor(code: EngineErrorCode, detail?: string, options?: { cause?: unknown; userMessage?: string }) {
    super(detail ? `${code}: ${detail}` : code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.userMessage = options?.userMessage ?? USER_MESSAGES[code];
  }
}

export function userMessageFor(code: EngineErrorCode): string {
  return USER_MESSAGES[code];
}

export function isEngineErrorCode(value: unknown): value is EngineErrorCode {
  return typeof value === 'string' && (ENGINE_ERROR_CODES as readonly string[]).includes(value);
}

/** True only for causes that may pass on a second try: a timeout, a 5xx, a 429, an unreadable answer. */
export function isTransient(error: unknown): boolean {
  return TRANSIENT.has(toEngineError(error).code);
}

/** An EngineError as it crosses a worker boundary (model workers, the evaluation worker). */
export interface EngineWireError {
  kind: 'engine';
  code: EngineErrorCode;
  message: string;
  userMessage: string;
}

export function toWireError(e: unknown): EngineWireError {
  const err = toEngineError(e);
  return { kind: 'engine', code: err.code, message: err.message, userMessage: err.userMessage };
}

export function fromWireError(error: EngineWireError): EngineError {
  return new EngineError(error.code, error.message, { userMessage: error.userMessage });
}

const CONTEXT_OVERFLOW = /ContextWindowSizeExceeded|context window size|maximum context length|context length (of|is)|exceeds? the (model's |available )?context|prompt is too long|too many (prompt |input )?tokens/i;

/** The code of an HTTP error answer from a model server (401 and 403, a missing model, an overlong prompt, ...). */
export function httpErrorCode(status: number, body: string): EngineErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404 && /model/i.test(body)) return 'model-not-found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server-error';
  if (status === 400 || status === 413 || status === 422) return CONTEXT_OVERFLOW.test(body) ? 'context-overflow' : 'bad-request';
  return 'http';
}

// Ordered: the first pattern that matches the error's name + message wins, so specific
// symptoms (a quota error while writing the cache) come before generic ones (a cache write).
const RULES: [EngineErrorCode, RegExp][] = [
  // Not a bare "abort": Emscripten reports crashes as "Aborted(...)".
  ['aborted', /^AbortError\b|operation was aborted|aborted by (the )?user|interrupted by user|\bcancel+ed\b/i],
  ['context-overflow', CONTEXT_OVERFLOW],
  ['unauthorized', /\b(HTTP|status( code)?) ?40[13]\b|Unauthorized|invalid api key/i],
  ['rate-limited', /\b(HTTP|status( code)?) ?429\b|Too Many Requests/i],
  ['server-error', /\b(HTTP|status( code)?) ?5\d\d\b/i],
  ['quota', /QuotaExceeded|quota (has been )?exceeded|exceeded the quota|no space left|insufficient storage/i],
  [
    'no-webgpu',
    /navigator\.gpu|WebGPU is not (supported|available)|no (WebGPU|GPU) adapter|Unable to find a compatible GPU|requestAdapter|WebGPUNotAvailable|WebGPUNotFound/i,
  ],
  ['device-lost', /device (was |is |has been )?lost|DeviceLost|GPUDeviceLostInfo|context lost/i],
  [
    'out-of-memory',
    /out of memory|OutOfMemory|\bOOM\b|GPUOutOfMemoryError|failed to allocate|allocation failed|Cannot allocate|maxBufferSize|maxStorageBufferBindingSize|exceeds the max|Array buffer allocation/i,
  ],
  [
    'library-mismatch',
    /version mismatch|incompatible (model )?lib|does not match|LinkError|import object field|function import requires|ModelLibraryMismatch|FeatureSupport|not compatible with (this|the) (version|engine)/i,
  ],
  [
    'missing-files',
    /Unexpected token '?<'?|<!DOCTYPE|is not valid JSON|expected magic word|CompileError|wasm validation|Failed to execute 'add' on 'Cache'|\b404\b|Not Found|could not locate file|file (was )?not found|missing (model )?file|no such file|ENOENT|Unsupported model type|Protobuf parsing failed|invalid model|corrupt/i,
  ],
  ['timeout', /\btimed? ?out\b|TimeoutError|ETIMEDOUT/i],
  [
    'offline',
    /ERR_INTERNET_DISCONNECTED|ERR_NAME_NOT_RESOLVED|network is (unreachable|offline)|\boffline\b|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/i,
  ],
  [
    'download-failed',
    /Failed to fetch|NetworkError|network error|fetch failed|Load failed|ERR_CONNECTION|ECONNRESET|socket hang up|download failed|\bfetch\b/i,
  ],
  ['http', /\bHTTP\b ?\d{3}|status (code )?[45]\d\d/i],
];

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? ` (${e.cause.name}: ${e.cause.message})` : '';
    return `${e.name}: ${e.message}${cause}`;
  }
  if (typeof e === 'object' && e !== null) {
    const o = e as { name?: unknown; message?: unknown; reason?: unknown };
    const parts = [o.name, o.message, o.reason].filter((p) => typeof p === 'string');
    if (parts.length) return parts.join(': ');
    try {
      return JSON.stringify(e);
    } catch {
      return String(e);
    }
  }
  return String(e);
}

/** Classifies any thrown value. `offlineNow` lets the caller say the browser reports no network. */
export function toEngineError(e: unknown, context?: { offlineNow?: boolean }): EngineError {
  if (e instanceof EngineError) return e;
  // A structured error that crossed a worker boundary keeps its code.
  if (typeof e === 'object' && e !== null && isEngineErrorCode((e as { code?: unknown }).code)) {
    const o = e as { code: EngineErrorCode; message?: unknown; userMessage?: unknown };
    return new EngineError(o.code, typeof o.message === 'string' ? o.message : undefined, {
      cause: e,
      userMessage: typeof o.userMessage === 'string' ? o.userMessage : undefined,
    });
  }
  const text = describe(e);
  let code: EngineErrorCode = RULES.find(([, pattern]) => pattern.test(text))?.[0] ?? 'unknown';
  if ((code === 'download-failed' || code === 'missing-files') && context?.offlineNow && !/Unexpected token|magic word|<!DOCTYPE/i.test(text)) {
    code = 'offline';
  }
  const file = code === 'missing-files' ? missingFile(text) : null;
  const userMessage = file
    ? `The model file ${file} is missing (the server found no such file, or sent a web page instead). Check that the model folder holds it, or side-load the complete folder again.`
    : undefined;
  return new EngineError(code, text, { cause: e, userMessage });
}

/** The file a "not found" names, when it does (Transformers.js: `file was not found locally at "…"`, `Could not locate file: "…"`). */
function missingFile(text: string): string | null {
  return /(?:could not locate file:?|not found locally at)\s*"([^"]+)"/i.exec(text)?.[1] ?? null;
}
