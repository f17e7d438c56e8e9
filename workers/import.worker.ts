// Parses chosen files off the main thread, so a file of hundreds of MB never freezes the page.
// Receives {files: [{name, buffer}]} (buffers transferred), answers {result} or {error}.
import { parseFiles, type ParseOptions } from '../src/import/index.ts';

export interface ImportRequest { files: { name: string; buffer: ArrayBuffer }[]; options?: ParseOptions }

self.onmessage = async (event: MessageEvent<ImportRequest>) => {
  try {
    const files = event.data.files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.buffer) }));
    const result = await parseFiles(files, event.data.options);
    self.postMessage({ result });
  } catch (error) {
    self.postMessage({ error: (error as Error)?.message ?? String(error) });
  }
};
