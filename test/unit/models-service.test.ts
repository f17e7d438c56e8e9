import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  parseCustomModels,
  secondsLeft,
  sideloadPlan,
  splitFolderUrl,
  webllmFileBase,
  type CustomModel,
} from '../../src/services/models';

const base = 'http://127.0.0.1:4179/#/models';
const files = (...paths: string[]) => paths.map((path) => ({ path, size: 10 }));

describe('side-load plan', () => {
  const webllm: CustomModel = { engine: 'webllm', modelId: 'm', modelUrl: '/models/m', modelLibUrl: '/models/m-webgpu.wasm' };

  it('puts WebLLM files where WebLLM looks: config, wasm and model caches under resolve/main/', () => {
    const plan = sideloadPlan(
      files('m/mlc-chat-config.json', 'm/tensor-cache.json', 'm/tokenizer.json', 'm/params_shard_0.bin', 'm/m-webgpu.wasm', 'm/.DS_Store'),
      webllm,
      base,
    );
    const byUrl = Object.fromEntries(plan.map((p) => [p.url, p.cacheName]));
    expect(byUrl).toEqual({
      'http://127.0.0.1:4179/models/m/resolve/main/mlc-chat-config.json': 'webllm/config',
      'http://127.0.0.1:4179/models/m/resolve/main/tensor-cache.json': 'webllm/model',
      'http://127.0.0.1:4179/models/m/resolve/main/tokenizer.json': 'webllm/model',
      'http://127.0.0.1:4179/models/m/resolve/main/params_shard_0.bin': 'webllm/model',
      'http://127.0.0.1:4179/models/m-webgpu.wasm': 'webllm/wasm',
    });
  });

  it('names the missing file when the folder is not a WebLLM model', () => {
    expect(() => sideloadPlan(files('x/tensor-cache.json'), webllm, base)).toThrow(/mlc-chat-config\.json/);
    const error = (() => {
      try {
        sideloadPlan(files('x/mlc-chat-config.json'), webllm, base);
      } catch (e) {
        return e as { code: string; userMessage: string };
      }
    })();
    expect(error?.code).toBe('missing-files');
    expect(error?.userMessage).toMatch(/tensor-cache\.json/);
  });

  it('puts Transformers.js files under the folder URL, keeping sub-folders', () => {
    const model: CustomModel = { engine: 'transformers', modelId: 'tiny', folderUrl: '/test-assets/tiny-llama/' };
    const plan = sideloadPlan(files('tiny-llama/config.json', 'tiny-llama/tokenizer.json', 'tiny-llama/onnx/model.onnx'), model, base);
    expect(plan.map((p) => [p.cacheName, p.url])).toEqual([
      ['transformers-cache', 'http://127.0.0.1:4179/test-assets/tiny-llama/config.json'],
      ['transformers-cache', 'http://127.0.0.1:4179/test-assets/tiny-llama/tokenizer.json'],
      ['transformers-cache', 'http://127.0.0.1:4179/test-assets/tiny-llama/onnx/model.onnx'],
    ]);
    expect(() => sideloadPlan(files('t/config.json', 't/tokenizer.json'), model, base)).toThrow(/onnx/);
  });
});

describe('model URLs', () => {
  it('appends resolve/main/ as WebLLM does', () => {
    expect(webllmFileBase('https://h.org/u/m', base)).toBe('https://h.org/u/m/resolve/main/');
    expect(webllmFileBase('https://h.org/u/m/resolve/main/', base)).toBe('https://h.org/u/m/resolve/main/');
  });

  it('splits a folder URL into Transformers.js localModelPath + model', () => {
    expect(splitFolderUrl('/test-assets/tiny-llama', base)).toEqual({
      localModelPath: '/test-assets/',
      model: 'tiny-llama',
      absolute: 'http://127.0.0.1:4179/test-assets/tiny-llama/',
    });
    expect(splitFolderUrl('https://models.example/m/x/', base).localModelPath).toBe('https://models.example/m/');
    expect(() => splitFolderUrl('/', base)).toThrow();
  });
});

describe('progress arithmetic and formatting', () => {
  it('estimates time left from the average rate', () => {
    expect(secondsLeft(0.25, 10_000)).toBe(30);
    expect(secondsLeft(0, 10_000)).toBeUndefined();
    expect(secondsLeft(1, 10_000)).toBeUndefined();
  });
  it('formats bytes', () => {
    expect(formatBytes(1_500_000_000)).toBe('1.5 GB');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(undefined)).toBe('—');
  });
});

describe('stored custom models', () => {
  it('keeps valid entries and names each bad one', () => {
    const { models, problems } = parseCustomModels(
      JSON.stringify([{ engine: 'transformers', modelId: 'a', folderUrl: '/a/' }, { engine: 'webllm', modelId: 'b' }]),
    );
    expect(models.map((m) => m.modelId)).toEqual(['a']);
    expect(problems).toEqual([expect.stringContaining('custom models[1]')]);
    expect(parseCustomModels('{').problems[0]).toMatch(/not JSON/);
    expect(parseCustomModels(null)).toEqual({ models: [], problems: [] });
  });
});
