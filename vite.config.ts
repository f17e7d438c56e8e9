import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { ortWasmFiles } from './scripts/vite-ort-plugin.ts';

// Headers that make the page cross-origin isolated, so ONNX Runtime may use threads.
// `credentialless` still lets the user's chosen model host serve files with CORS.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

export default defineConfig({
  plugins: [
    svelte(),
    ortWasmFiles(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      manifest: false, // public/manifest.webmanifest is the source of truth
      workbox: {
        // The app shell only: engines' wasm and model weights are cached by the engines themselves.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        globIgnores: ['**/models/**', '**/ort/**', '**/*.wasm'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        // Take control of the page that registered it, so the first visit already works offline.
        clientsClaim: true,
        navigateFallbackDenylist: [/^\/models\//, /^\/ort\//],
      },
    }),
  ],
  worker: { format: 'es' },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    // harness/transformers.html: a page without UI that lets browser tests drive the real
    // Transformers.js worker from the production build.
    rollupOptions: { input: { main: 'index.html', 'transformers-harness': 'harness/transformers.html' } },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          globalSetup: ['test/setup/models.global.ts'],
        },
      },
      {
        extends: true,
        resolve: { conditions: ['browser'] },
        test: {
          name: 'dom',
          include: ['test/component/**/*.test.ts'],
          environment: 'jsdom',
        },
      },
    ],
  },
});
