// Browser side of importing: reads the chosen files and parses them in a dedicated worker
// (the ArrayBuffers are transferred, not copied). One worker per call, ended afterwards.
import type { ParseOptions, ParseResult } from './index.ts';
import type { ImportRequest } from '../../workers/import.worker.ts';

export async function parseFilesInWorker(files: File[], options?: ParseOptions): Promise<ParseResult> {
  const request: ImportRequest = {
    files: await Promise.all(files.map(async (f) => ({ name: f.name, buffer: await f.arrayBuffer() }))),
    options,
  };
  const worker = new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'import' });
  try {
    return await new Promise<ParseResult>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<{ result?: ParseResult; error?: string }>) => {
        if (event.data.result) resolve(event.data.result);
        else reject(new Error(`import worker failed: ${event.data.error}`));
      };
      worker.onerror = (event) => reject(new Error(`import worker failed: ${event.message || 'it could not start'}`));
      worker.postMessage(request, request.files.map((f) => f.buffer));
    });
  } finally {
    worker.terminate();
  }
}
