import { describe, expect, it } from 'vitest';
import { prebuiltAppConfig } from '@mlc-ai/web-llm';
import { assessCapabilities, type ProbedFacts } from '../../src/llm/capabilities';
import { CATALOG, catalogFor, findCatalogModel, suggestDefault } from '../../src/llm/catalog';

const GiB = 1024 ** 3;
function gpu(features: string[], over: Partial<NonNullable<ProbedFacts['adapter']>> = {}): ProbedFacts['adapter'] {
  return { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'RTX', isFallbackAdapter: false, features, maxBufferSize: 2 * GiB, maxStorageBufferBindingSize: 2 * GiB, ...over };
}

describe('assessCapabilities', () => {
  it('uses q4f16 and WebLLM on a GPU with shader-f16', () => {
    const caps = assessCapabilities({ webgpuApi: true, adapter: gpu(['shader-f16']), deviceMemoryGiB: 8 });
    expect(caps).toMatchObject({ webgpu: true, shaderF16: true, quantization: 'q4f16_1', engine: 'webllm', memoryBudgetMB: 4096, memoryKnown: true, softwareAdapter: false });
    expect(caps.adapterLabel).toContain('nvidia');
  });

  it('falls back to q4f32 without shader-f16 and says why', () => {
    const caps = assessCapabilities({ webgpuApi: true, adapter: gpu([]), deviceMemoryGiB: 8 });
    expect(caps.quantization).toBe('q4f32_1');
    expect(caps.notes.join(' ')).toMatch(/shader-f16/);
  });

  it('offers Transformers.js with a speed warning when there is no WebGPU', () => {
    for (const facts of [{ webgpuApi: false, adapter: null }, { webgpuApi: true, adapter: null }] satisfies ProbedFacts[]) {
      const caps = assessCapabilities(facts);
      expect(caps.webgpu).toBe(false);
      expect(caps.engine).toBe('transformers');
      expect(caps.notes.join(' ')).toMatch(/slow/);
    }
  });

  it('treats SwiftShader as a software adapter', () => {
    const caps = assessCapabilities({ webgpuApi: true, adapter: gpu([], { vendor: 'google', description: 'SwiftShader Device (Subzero)', maxBufferSize: GiB }) });
    expect(caps.softwareAdapter).toBe(true);
    expect(caps.engine).toBe('transformers');
  });

  it('says when memory is a guess, and shrinks the budget for small buffer limits', () => {
    const unknown = assessCapabilities({ webgpuApi: true, adapter: gpu(['shader-f16']) });
    expect(unknown.memoryKnown).toBe(false);
    expect(unknown.notes.join(' ')).toMatch(/assuming/);
    const small = assessCapabilities({ webgpuApi: true, adapter: gpu(['shader-f16'], { maxBufferSize: 256 * 1024 ** 2 }), deviceMemoryGiB: 8 });
    expect(small.memoryBudgetMB).toBe(1024);
  });
});

describe('catalog', () => {
  it('names only models WebLLM 0.2.86 ships, with its VRAM figures', () => {
    const prebuilt = new Map(prebuiltAppConfig.model_list.map((r) => [r.model_id, r]));
    for (const m of CATALOG) {
      for (const b of Object.values(m.builds)) {
        const record = prebuilt.get(b.modelId);
        expect(record, b.modelId).toBeDefined();
        expect(Math.abs((record!.vram_required_MB ?? 0) - b.vramMB)).toBeLessThan(1);
      }
      for (const id of Object.values(m.lowMemoryVariant ?? {})) expect(prebuilt.has(id), id).toBe(true);
    }
  });

  it('suggests the best model that fits, in the right build', () => {
    const caps = assessCapabilities({ webgpuApi: true, adapter: gpu(['shader-f16']), deviceMemoryGiB: 8 });
    const s = suggestDefault(caps);
    expect(s.engine).toBe('webllm');
    if (s.engine !== 'webllm') return;
    expect(s.choice.vramMB).toBeLessThanOrEqual(4096);
    expect(s.choice.modelId).toMatch(/q4f16_1/);
    const better = catalogFor(caps).filter((c) => c.fits && c.model.rank > s.choice.model.rank);
    expect(better).toEqual([]);
  });

  it('picks a smaller model on a small machine and q4f32 without f16', () => {
    const caps = assessCapabilities({ webgpuApi: true, adapter: gpu([]), deviceMemoryGiB: 2 });
    const s = suggestDefault(caps);
    expect(s.engine === 'webllm' && s.choice.modelId).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
  });

  it('suggests Transformers.js when there is no WebGPU', () => {
    const s = suggestDefault(assessCapabilities({ webgpuApi: false, adapter: null }));
    expect(s.engine).toBe('transformers');
    expect(s.reason).toMatch(/slow/);
  });

  it('finds a catalog entry by WebLLM id', () => {
    expect(findCatalogModel('Qwen3-4B-q4f32_1-MLC')?.model.family).toBe('Qwen3-4B');
    expect(findCatalogModel('nope')).toBeUndefined();
  });
});
