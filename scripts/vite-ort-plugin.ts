// Serves ONNX Runtime Web's wasm files from the app's own origin at /ort/ (dev server) and
// writes them into dist/ort/ (build), so Transformers.js never fetches them from a CDN.
// Only the asyncify build: it is the one the WebGPU bundle that Transformers.js imports
// loads, and it runs on the wasm EP too. Not precached by the service worker (see globIgnores).
import { createReadStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultClientConditions, type Plugin } from 'vite';

export const ORT_URL_PREFIX = '/ort/';
const FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

export function ortWasmFiles(): Plugin {
  let dir = '';
  return {
    name: 'attune-ort-wasm-files',
    // onnxruntime-web's "extern wasm" build loads its wasm from wasmPaths only, so the
    // bundler does not copy a second 27 MB wasm into assets/.
    config: () => ({ resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] } }),
    configResolved(config) {
      dir = resolve(config.root, 'node_modules/onnxruntime-web/dist');
    },
    configureServer(server) {
      server.middlewares.use(ORT_URL_PREFIX, (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!FILES.includes(name)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(resolve(dir, name)).pipe(res);
      });
    },
    generateBundle() {
      for (const name of FILES) {
        this.emitFile({ type: 'asset', fileName: ORT_URL_PREFIX.slice(1) + name, source: readFileSync(resolve(dir, name)) });
      }
    },
  };
}
