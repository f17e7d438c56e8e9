// Errors no retry can fix, on the screen: the app's OpenAI-compatible engine pointed at the real
// local test server (test/helpers/openai-server.ts, started here), a batch run, and the server
// answering 401, then not having the model. Each stops the run after one request and shows its
// own message, carried typed from the evaluation worker. The browser reaches only the app and
// the chosen model host.
import { expect, test, type Page } from '@playwright/test';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';

let servers: OpenAIServer[] = [];
test.afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function connect(page: Page, baseUrl: string, model: string) {
  await page.goto('/#/models');
  await page.getByLabel('Use an OpenAI-compatible server').check();
  await page.getByLabel('Base URL').fill(baseUrl);
  await page.getByLabel('Model', { exact: true }).fill(model);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByTestId('current-status')).toContainText(`Ready: ${model} (openai`);
}

async function runBatch(page: Page) {
  await page.getByRole('link', { name: 'Batch' }).first().click();
  await page.getByRole('combobox', { name: 'Data set' }).selectOption({ label: 'All cases (9)' });
  await page.getByRole('button', { name: 'Run batch' }).click();
}

test('a 401 and a missing model each stop a batch run after one request, with their own message', async ({ page, baseURL }) => {
  const refused = await startOpenAIServer({ respond: () => ({ status: 401, body: '{"error":{"message":"invalid api key","type":"authentication_error"}}' }) });
  const noModel = await startOpenAIServer({ knownModelsOnly: true, models: [{ id: 'test-model' }] });
  servers = [refused, noModel];
  const allowed = new Set([new URL(baseURL!).host, new URL(refused.url).host, new URL(noModel.url).host]);
  const foreign: string[] = [];
  page.context().on('request', (r) => {
    const url = new URL(r.url());
    if (!['data:', 'blob:'].includes(url.protocol) && !allowed.has(url.host)) foreign.push(r.url());
  });

  await connect(page, refused.url, 'test-model');
  await runBatch(page);
  await expect(page.getByRole('alert')).toHaveText(/^The model server refused the API key \(it answered 401 or 403\)\./, { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Run batch' })).toBeEnabled();
  expect(refused.chatRequests()).toHaveLength(1);

  await connect(page, noModel.url, 'no-such-model');
  await runBatch(page);
  await expect(page.getByRole('alert')).toHaveText('The model server has no model named "no-such-model". Check the model name against the models the server offers.', { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Run batch' })).toBeEnabled();
  expect(noModel.chatRequests()).toHaveLength(1);
  expect(noModel.chatRequests()[0].body.model).toBe('no-such-model');

  expect(foreign).toEqual([]);
});
