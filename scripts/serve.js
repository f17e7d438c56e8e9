#!/usr/bin/env node
// Serves the production build on 127.0.0.1. Missing files are real 404s (no SPA fallback:
// the app routes by hash), so a missing model file is reported as missing rather than
// answered with index.html.
//   node scripts/serve.js [--port N] [--mount /url/prefix/=dir ...]
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { resolve, extname, join, sep } from 'node:path';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(option('--port') ?? process.env.PORT ?? 4173);
const roots = [['/', resolve('dist')]];
args.forEach((a, i) => {
  if (a !== '--mount') return;
  const [prefix, dir] = args[i + 1].split('=');
  roots.unshift([prefix.endsWith('/') ? prefix : prefix + '/', resolve(dir)]);
});

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream', '.bin': 'application/octet-stream', '.txt': 'text/plain',
};

function locate(urlPath) {
  for (const [prefix, dir] of roots) {
    if (!urlPath.startsWith(prefix)) continue;
    let file = join(dir, decodeURIComponent(urlPath.slice(prefix.length)));
    if (!file.startsWith(dir + sep) && file !== dir) return null;
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      return statSync(file).isFile() ? file : null;
    } catch {
      continue;
    }
  }
  return null;
}

const server = createServer((req, res) => {
  const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
  const file = locate(urlPath);
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'credentialless',
    'Cache-Control': urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (!file) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
    res.end(`Not found: ${urlPath}\n`);
    return;
  }
  const size = statSync(file).size;
  res.writeHead(200, {
    ...headers,
    'Content-Type': types[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`Attune is running at http://127.0.0.1:${server.address().port}/`);
});
