// A Playwright `test` that logs every request the browser context makes (pages, workers and
// the service worker) and, after each test, fails if any went to a host other than the app's.
import { test as base, expect } from '@playwright/test';

export const test = base.extend<{ requestLog: URL[] }>({
  requestLog: [
    async ({ context, baseURL }, use) => {
      const log: URL[] = [];
      context.on('request', (request) => log.push(new URL(request.url())));
      await use(log);
      const appHost = new URL(baseURL!).host;
      const foreign = log.filter((u) => !['data:', 'blob:'].includes(u.protocol) && u.host !== appHost);
      expect(foreign.map(String), 'requests to hosts other than the app').toEqual([]);
      expect(log.length, 'the request log recorded the app loading').toBeGreaterThan(0);
    },
    { auto: true },
  ],
});

export { expect };
