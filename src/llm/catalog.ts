// A short, curated list of small instruct models that run in a browser. WebLLM ids and VRAM
// figures are those of WebLLM 0.2.86's prebuiltAppConfig; download sizes are approximate
// (4-bit weights plus tokenizer), shown to the user as such.

import type { Capabilities, Quantization } from './capabilities';

/** WebLLM's context window when a model record does not set one. */
export const WEBLLM_DEFAULT_CONTEXT_WINDOW = 4096;

export interface CatalogModel {
  family: string;
  label: string;
  /** Rough quality rank among the catalog (higher is better), for picking a default. */
  rank: number;
  builds: Record<Quantization, { modelId: string; vramMB: number; downloadMB: number }>;
  contextWindow: number;
  /** Reduced-context variants WebLLM ships, for machines short of memory. */
  lowMemoryVariant?: Record<Quantization, string>;
}

const build = (id: string, q: Quantization, vramMB: number, downloadMB: number) => ({ modelId: `${id}-${q}-MLC`, vramMB, downloadMB });

export const CATALOG: CatalogModel[] = [
  {
    family: 'Llama-3.2-1B-Instruct',
    label: 'Llama 3.2 1B Instruct',
    rank: 1,
    builds: { q4f16_1: build('Llama-3.2-1B-Instruct', 'q4f16_1', 879, 700), q4f32_1: build('Llama-3.2-1B-Instruct', 'q4f32_1', 1129, 750) },
    contextWindow: 4096,
  },
  {
    family: 'Qwen2.5-1.5B-Instruct',
    label: 'Qwen2.5 1.5B Instruct',
    rank: 2,
    builds: { q4f16_1: build('Qwen2.5-1.5B-Instruct', 'q4f16_1', 1630, 880), q4f32_1: build('Qwen2.5-1.5B-Instruct', 'q4f32_1', 1889, 920) },
    contextWindow: 4096,
  },
  {
    family: 'Qwen3-1.7B',
    label: 'Qwen3 1.7B',
    rank: 3,
    builds: { q4f16_1: build('Qwen3-1.7B', 'q4f16_1', 2037, 1000), q4f32_1: build('Qwen3-1.7B', 'q4f32_1', 2635, 1050) },
    contextWindow: 4096,
  },
  {
    family: 'Llama-3.2-3B-Instruct',
    label: 'Llama 3.2 3B Instruct',
    rank: 4,
    builds: { q4f16_1: build('Llama-3.2-3B-Instruct', 'q4f16_1', 2264, 1800), q4f32_1: build('Llama-3.2-3B-Instruct', 'q4f32_1', 2952, 1900) },
    contextWindow: 4096,
  },
  {
    family: 'Qwen2.5-3B-Instruct',
    label: 'Qwen2.5 3B Instruct',
    rank: 5,
    builds: { q4f16_1: build('Qwen2.5-3B-Instruct', 'q4f16_1', 2505, 1750), q4f32_1: build('Qwen2.5-3B-Instruct', 'q4f32_1', 2894, 1850) },
    contextWindow: 4096,
  },
  {
    family: 'Phi-3.5-mini-instruct',
    label: 'Phi-3.5 mini Instruct',
    rank: 6,
    builds: { q4f16_1: build('Phi-3.5-mini-instruct', 'q4f16_1', 3672, 2200), q4f32_1: build('Phi-3.5-mini-instruct', 'q4f32_1', 5483, 2300) },
    contextWindow: 4096,
    lowMemoryVariant: { q4f16_1: 'Phi-3.5-mini-instruct-q4f16_1-MLC-1k', q4f32_1: 'Phi-3.5-mini-instruct-q4f32_1-MLC-1k' },
  },
  {
    family: 'Qwen3-4B',
    label: 'Qwen3 4B',
    rank: 7,
    builds: { q4f16_1: build('Qwen3-4B', 'q4f16_1', 3432, 2300), q4f32_1: build('Qwen3-4B', 'q4f32_1', 4328, 2400) },
    contextWindow: 4096,
  },
];

/** The CPU path (no WebGPU): a small ONNX model run by Transformers.js. */
export const TRANSFORMERS_FALLBACK = {
  modelId: 'onnx-community/Qwen2.5-0.5B-Instruct',
  label: 'Qwen2.5 0.5B Instruct (Transformers.js, CPU)',
  downloadMB: 500,
  warning:
    'Without a hardware WebGPU adapter, Attune runs a small model on the CPU with Transformers.js. It works, but slowly (a few tokens per second): one judgement can take a minute or more, and its judgements are weaker than those of the larger GPU models.',
};

export interface CatalogChoice {
  model: CatalogModel;
  quantization: Quantization;
  modelId: string;
  vramMB: number;
  downloadMB: number;
  fits: boolean;
}

/** Each catalog model in the build this machine should use, with whether it fits. */
export function catalogFor(caps: Capabilities): CatalogChoice[] {
  return CATALOG.map((model) => {
    const b = model.builds[caps.quantization];
    return { model, quantization: caps.quantization, modelId: b.modelId, vramMB: b.vramMB, downloadMB: b.downloadMB, fits: caps.webgpu && b.vramMB <= caps.memoryBudgetMB };
  });
}

export type Suggestion =
  | { engine: 'webllm'; choice: CatalogChoice; reason: string }
  | { engine: 'transformers'; modelId: string; reason: string };

/** The best-ranked model that fits; the smallest one if none does; Transformers.js without WebGPU. */
export function suggestDefault(caps: Capabilities): Suggestion {
  if (caps.engine === 'transformers') {
    return { engine: 'transformers', modelId: TRANSFORMERS_FALLBACK.modelId, reason: TRANSFORMERS_FALLBACK.warning };
  }
  const choices = catalogFor(caps);
  const fitting = choices.filter((c) => c.fits).sort((x, y) => y.model.rank - x.model.rank);
  if (fitting.length) {
    return { engine: 'webllm', choice: fitting[0], reason: `Largest catalog model that fits about ${Math.round(caps.memoryBudgetMB)} MB of GPU memory.` };
  }
  const smallest = [...choices].sort((x, y) => x.vramMB - y.vramMB)[0];
  return { engine: 'webllm', choice: smallest, reason: 'No catalog model clearly fits the memory this browser reports; the smallest one is the best chance.' };
}

export function findCatalogModel(modelId: string): CatalogChoice | undefined {
  for (const model of CATALOG) {
    for (const q of ['q4f16_1', 'q4f32_1'] as const) {
      const b = model.builds[q];
      if (b.modelId === modelId) return { model, quantization: q, modelId, vramMB: b.vramMB, downloadMB: b.downloadMB, fits: true };
    }
  }
  return undefined;
}
