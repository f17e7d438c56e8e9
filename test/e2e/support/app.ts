// Shared set-up of the app's browser tests: builds the scripted test engine into
// test/.generated/e2e/ (served at /test-assets/e2e/ by the test server only), and helpers.
import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import type { Page } from '@playwright/test';

export function buildScriptedEngine(): void {
  mkdirSync('test/.generated/e2e', { recursive: true });
  buildSync({
    entryPoints: ['test/e2e/support/scripted-engine-entry.ts'],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: 'test/.generated/e2e/scripted-engine.js', logLevel: 'warning',
  });
}

/**
 * Builds the stand-in WebLLM worker (a test double: WebLLM's real handler over a stand-in engine)
 * into test/.generated/e2e/, served at /test-assets/e2e/webllm-standin.js by the test server.
 */
export function buildWebLLMStandIn(): void {
  mkdirSync('test/.generated/e2e', { recursive: true });
  buildSync({
    entryPoints: ['test/e2e/support/webllm-standin-worker.ts'],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: 'test/.generated/e2e/webllm-standin.js', logLevel: 'warning',
  });
}

/** Fails the test on any request that leaves the app's own origin. */
export function blockForeignRequests(page: Page, origin: string): string[] {
  const foreign: string[] = [];
  void page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  return foreign;
}

/** Opens the app with the scripted engine offered, and chooses it as the first-run guide asks. */
export async function openWithScriptedEngine(page: Page, query = ''): Promise<void> {
  await page.goto(`/?test-engine=scripted${query}#/library`);
  await page.getByRole('button', { name: 'Use the scripted test engine' }).click();
  await page.getByText('Test engine in use').waitFor();
}
