// Every engine failure, whatever library raised it, becomes one EngineError with a code the
// app can branch on and a message a person can act on. Adapters throw EngineError; the UI
// shows `userMessage`; the original error stays in `cause` for the console.

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
  'http',
  'timeout',
  'unknown',
];

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
    'Downloading the model failed. Check the connection and the model URL, then try again; files already downloaded are kept.',
  offline:
    'The model is not in this browser\'s cache and the network is unreachable. Connect once to download it, or side-load its files from a folder on the Models screen.',
  'missing-files':
    'The model files are missing or not model files (the server answered with a web page or an error instead). Check the model URL and model library URL, or side-load the complete model folder again.',
  'library-mismatch':
    'The model library (.wasm) does not match this version of the engine. Use a model library compiled for this WebLLM version, or pick a model from the catalog.',
  aborted: 'Stopped.',
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

// Ordered: the first pattern that matches the error's name + message wins, so specific
// symptoms (a quota error while writing the cache) come before generic ones (a cache write).
const RULES: [EngineErrorCode, RegExp][] = [
  // Not a bare "abort": Emscripten reports crashes as "Aborted(...)".
  ['aborted', /^AbortError\b|operation was aborted|aborted by (the )?user|interrupted by user|\bcancel+ed\b/i],
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
  ['http', /\bHTTP\b ?\d{3}|status (code )?[45]\d\d|\b(401|403|429|500|502|503)\b/i],
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
  return new EngineError(code, text, { cause: e });
}
