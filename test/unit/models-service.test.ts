import { describe, expect, it } from 'vitest';
import {
  parseCustomModels,
  secondsLeft,
  chooseContextWindow,
  PhaseClock,
  loadPhase,
  sideloadPlan,
  splitFolderUrl,
  webllmFileBase,
  type CustomModel,
} from '../../src/services/models';
import { formatBytes } from '../../src/lib/bytes';
import { toLoadProgress } from '../../src/llm/webllm';

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
    expect(secondsLeft(0.5, 10_000, 0.25)).toBe(20);
  });
  it('starts the estimate again when WebLLM moves to a new phase', () => {
    const clock = new PhaseClock();
    // Download: 50% in 100 s, so 100 s left.
    expect(clock.secondsLeft({ progress: 0, text: 'Fetching param cache[0/20]: 0MB fetched. 0% completed, 0 secs elapsed.' }, 0)).toBeUndefined();
    expect(clock.secondsLeft({ progress: 0.5, text: 'Fetching param cache[10/20]: 80MB fetched. 50% completed, 100 secs elapsed.' }, 100_000)).toBe(100);
    // Shader compilation starts from 0 again: no estimate from the download's clock (it said
    // "1% · time left 13 min 37 s" here), then one from this phase's own rate.
    expect(clock.secondsLeft({ progress: 0.01, text: 'Loading GPU shader modules[1/100]: 1% completed, 200 secs elapsed.' }, 200_000)).toBeUndefined();
    expect(clock.secondsLeft({ progress: 0.21, text: 'Loading GPU shader modules[21/100]: 21% completed, 210 secs elapsed.' }, 210_000)).toBe(40);
    expect(loadPhase('Loading model from cache[3/20]: 57MB loaded.')).toBe('Loading model from cache');
  });
  it('formats bytes in WebLLM\'s units, so a figure beside its "157MB fetched" says 157', () => {
    const p = toLoadProgress({ progress: 0.2, timeElapsed: 9, text: 'Fetching param cache[3/20]: 157MB fetched. 20% completed, 9 secs elapsed.' });
    expect(formatBytes(p.loadedBytes)).toBe('157 MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatBytes(999)).toBe('999 bytes');
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

describe('a custom WebLLM model\'s context window', () => {
  it('takes what was entered, within what the model\'s own configuration allows', () => {
    expect(chooseContextWindow('1024', 4096, 4096)).toBe(1024);
    expect(chooseContextWindow(' 2048 ', undefined, 4096)).toBe(2048);
    expect(() => chooseContextWindow('8192', 4096, 4096)).toThrow(expect.objectContaining({ userMessage: expect.stringContaining('allows at most 4096 tokens') }));
  });

  it('left empty: the configuration\'s own window, else the default', () => {
    expect(chooseContextWindow('', 1024, 4096)).toBe(1024);
    expect(chooseContextWindow('', undefined, 4096)).toBe(4096);
  });

  it('refuses what is not a whole number of tokens, naming it', () => {
    for (const bad of ['abc', '1.5', '100', '-4096']) {
      expect(() => chooseContextWindow(bad, undefined, 4096)).toThrow(expect.objectContaining({ userMessage: expect.stringContaining(`"${bad}"`) }));
    }
  });

  it('a stored context window that is not a whole positive number is reported, not used', () => {
    const { models, problems } = parseCustomModels(JSON.stringify([
      { engine: 'webllm', modelId: 'a', modelUrl: '/a/', modelLibUrl: '/a/lib.wasm', contextWindow: 1024 },
      { engine: 'webllm', modelId: 'b', modelUrl: '/b/', modelLibUrl: '/b/lib.wasm', contextWindow: '1024' },
    ]));
    expect(models.map((m) => m.modelId)).toEqual(['a']);
    expect(problems).toEqual([expect.stringMatching(/^custom models\[1\]: .*contextWindow/)]);
  });
});
