// The PWA: an installable manifest with PNG icons, a service worker that precaches the app
// shell only, and the shell loading with the network off after the first visit.
import type { Page } from '@playwright/test';
import { expect, test } from './library-net.ts';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

async function waitForServiceWorkerControl(page: Page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
}

test('the manifest makes the app installable, with 192, 512 and maskable PNG icons', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBeTruthy();
  const response = await request.get(href!);
  expect(response.ok()).toBe(true);
  const manifest = await response.json();
  expect(manifest).toMatchObject({ name: 'Attune', start_url: '/', display: 'standalone' });

  const pngs = manifest.icons.filter((i: { type: string }) => i.type === 'image/png');
  const found: string[] = [];
  for (const icon of pngs) {
    const file = await request.get(icon.src);
    expect(file.ok(), icon.src).toBe(true);
    expect(file.headers()['content-type']).toBe('image/png');
    const [w, h] = pngSize(await file.body());
    expect(`${w}x${h}`).toBe(icon.sizes);
    found.push(`${icon.sizes} ${icon.purpose ?? 'any'}`);
  }
  expect(found).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
});

test('Chromium reports the app as installable', async ({ page, context }) => {
  await page.goto('/');
  await waitForServiceWorkerControl(page);
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // Playwright's contexts are incognito, which Chromium reports on its own; nothing else may show.
  expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
  const { errors } = await cdp.send('Page.getAppManifest');
  expect(errors).toEqual([]);
});

test('the service worker precaches the app shell and never model weights or wasm', async ({ page }) => {
  await page.goto('/');
  await waitForServiceWorkerControl(page);
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  expect(cached).toContain('/index.html');
  expect(cached.some((u) => /^\/assets\/.*\.js$/.test(u))).toBe(true);
  expect(cached).toContain('/manifest.webmanifest');
  expect(cached.filter((u) => /\.wasm$|\/models\/|\/ort\/|\.onnx$|\.bin$/.test(u))).toEqual([]);
});

test('after the first visit the app shell loads with the network off', async ({ page, context }) => {
  await page.goto('/#/library');
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
  await waitForServiceWorkerControl(page);

  await context.setOffline(true);
  expect(await page.evaluate(() => fetch('/manifest.webmanifest?probe', { cache: 'no-store' }).then(() => 'online', () => 'offline'))).toBe('offline');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Attune', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
  // Every screen's code comes from the cache too (the Person screen titles itself with a name).
  for (const screen of ['Models', 'Person', 'Evaluate', 'Batch', 'Library']) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: screen }).click();
    await expect(page).toHaveURL(new RegExp(`#/${screen.toLowerCase()}`));
    await expect(page.locator('main h2').first()).toBeVisible();
  }
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
  await context.setOffline(false);
});

test('visiting every screen requests nothing from any host but the app', async ({ page, requestLog }) => {
  for (const screen of ['library', 'person', 'evaluate', 'batch', 'models']) {
    await page.goto(`/#/${screen}`);
    await expect(page.getByRole('heading', { level: 2 })).toBeVisible();
  }
  await page.waitForLoadState('networkidle');
  // The fixture's teardown fails the test on any foreign host; here: the app itself was loaded.
  expect(requestLog.some((u) => u.pathname === '/index.html' || u.pathname === '/')).toBe(true);
});
