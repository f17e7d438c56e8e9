// The one place an engine is made from a choice: WebLLM, Transformers.js or an
// OpenAI-compatible server. The app (services/models.svelte.ts) and the CLI (cli/evaluate.ts)
// both call createEngine, so a choice means the same engine everywhere. Each adapter is imported
// only when chosen: the CLI never loads WebLLM, the page loads no engine it does not use.
import type { Engine } from './engine.ts';
import type { JsonMode } from './openai.ts';
import type { TransformersOptions } from './transformers.ts';
import type { WebLLMEngineOptions } from './webllm.ts';

export type EngineChoice =
  | (WebLLMEngineOptions & { kind: 'webllm' })
  | (TransformersOptions & {
    kind: 'transformers';
    /**
     * Run the model in its own worker (the Transformers.js worker) rather than in this thread.
     * Default: in a worker on a web page, in this thread elsewhere (Node, a worker).
     */
    inWorker?: boolean;
  })
  | {
    kind: 'openai';
    baseUrl: string;
    apiKey?: string;
    contextWindow?: number;
    jsonMode?: JsonMode;
    timeoutMs?: number;
    stream?: boolean;
  };

export async function createEngine(choice: EngineChoice): Promise<Engine> {
  switch (choice.kind) {
    case 'webllm': {
      const { WebLLMEngine } = await import('./webllm.ts');
      const { kind: _, ...options } = choice;
      return new WebLLMEngine(options);
    }
    case 'transformers': {
      const { kind: _, inWorker = typeof document !== 'undefined', ...options } = choice;
      if (inWorker) {
        const { TransformersWorkerEngine } = await import('./transformers-client.ts');
        return new TransformersWorkerEngine(options);
      }
      const { TransformersEngine } = await import('./transformers.ts');
      return new TransformersEngine(options);
    }
    case 'openai': {
      const { OpenAIEngine } = await import('./openai.ts');
      const { kind: _, ...options } = choice;
      return new OpenAIEngine(options);
    }
  }
}
