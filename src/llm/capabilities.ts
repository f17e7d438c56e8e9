// What this machine can run. `probeCapabilities` gathers facts from the browser (or a worker);
// `assessCapabilities` is pure, so every decision it makes is unit-tested with made-up facts.

export interface ProbedFacts {
  /** `navigator.gpu` exists. */
  webgpuApi: boolean;
  /** `requestAdapter()` gave an adapter (null when it did not or threw). */
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter: boolean;
    features: string[];
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
  } | null;
  /** `navigator.deviceMemory` in GiB (Chrome rounds and caps it at 8); undefined elsewhere. */
  deviceMemoryGiB?: number;
  hardwareConcurrency?: number;
}

export type Quantization = 'q4f16_1' | 'q4f32_1';

export interface Capabilities {
  webgpu: boolean;
  adapterLabel: string;
  /** A CPU implementation of WebGPU (SwiftShader): correct but far too slow for real models. */
  softwareAdapter: boolean;
  shaderF16: boolean;
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  quantization: Quantization;
  /** Memory (MB) a model may use, estimated; `memoryKnown` false means a guess. */
  memoryBudgetMB: number;
  memoryKnown: boolean;
  engine: 'webllm' | 'transformers';
  notes: string[];
}

/** Without any reading, assume a modest 4 GB laptop rather than promise more. */
const ASSUMED_BUDGET_MB = 2048;

export function assessCapabilities(facts: ProbedFacts): Capabilities {
  const a = facts.adapter;
  const notes: string[] = [];
  const webgpu = facts.webgpuApi && a !== null;
  const label = a ? [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' · ') || 'unnamed adapter' : 'none';
  const softwareAdapter = Boolean(a && (a.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(`${a.vendor} ${a.architecture} ${a.description} ${a.device}`)));
  const shaderF16 = Boolean(a?.features.includes('shader-f16'));

  if (!facts.webgpuApi) notes.push('This browser has no WebGPU. Models run with Transformers.js on the CPU instead, which is slow: a few tokens per second at best, so evaluations take minutes.');
  else if (!a) notes.push('WebGPU exists but offered no graphics adapter (hardware acceleration may be off). Models run with Transformers.js on the CPU instead: expect it to be slow.');
  if (softwareAdapter) notes.push('The WebGPU adapter is a software (CPU) one: it works, but even small models will be very slow.');
  if (webgpu && !shaderF16) notes.push('The GPU lacks 16-bit float shaders (shader-f16): using the q4f32 builds, which need somewhat more memory.');

  // Integrated GPUs share system memory, so half of RAM is a fair ceiling; a discrete card
  // reports no memory to the web at all, and deviceMemory caps at 8 GiB, so this errs low.
  let memoryBudgetMB = facts.deviceMemoryGiB ? Math.round(facts.deviceMemoryGiB * 1024 * 0.5) : ASSUMED_BUDGET_MB;
  const memoryKnown = Boolean(facts.deviceMemoryGiB);
  if (!memoryKnown) notes.push(`The browser does not report memory; assuming about ${ASSUMED_BUDGET_MB / 1024} GB is free for a model.`);
  // WebGPU cannot allocate a single buffer over maxBufferSize; a model whose KV cache or
  // weight shard needs more fails, so a tiny limit also tells us the GPU is small.
  if (a && a.maxBufferSize < 512 * 1024 * 1024) {
    memoryBudgetMB = Math.min(memoryBudgetMB, Math.round((a.maxBufferSize / (1024 * 1024)) * 4));
    notes.push('The GPU allows only small buffers: larger models may fail to load.');
  }

  return {
    webgpu,
    adapterLabel: label,
    softwareAdapter,
    shaderF16,
    maxBufferSize: a?.maxBufferSize,
    maxStorageBufferBindingSize: a?.maxStorageBufferBindingSize,
    quantization: shaderF16 ? 'q4f16_1' : 'q4f32_1',
    memoryBudgetMB,
    memoryKnown,
    engine: webgpu && !softwareAdapter ? 'webllm' : 'transformers',
    notes,
  };
}

/** Reads the facts from the current browser context (page or worker). */
export async function probeCapabilities(): Promise<ProbedFacts> {
  const nav = globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined;
  const gpu = nav?.gpu;
  let adapter: ProbedFacts['adapter'] = null;
  if (gpu) {
    try {
      const found = await gpu.requestAdapter();
      if (found) {
        const info = found.info;
        adapter = {
          vendor: info?.vendor ?? '',
          architecture: info?.architecture ?? '',
          device: info?.device ?? '',
          description: info?.description ?? '',
          isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
          features: [...found.features],
          maxBufferSize: found.limits.maxBufferSize,
          maxStorageBufferBindingSize: found.limits.maxStorageBufferBindingSize,
        };
      }
    } catch {
      adapter = null; // requestAdapter can throw when the GPU process crashed: same as no adapter
    }
  }
  return {
    webgpuApi: Boolean(gpu),
    adapter,
    deviceMemoryGiB: nav?.deviceMemory,
    hardwareConcurrency: nav?.hardwareConcurrency,
  };
}
