// The evaluation worker's jobs (services/evaluation-jobs.ts) run in Node on the app's Dexie store
// (fake-indexeddb) with the real OpenAI adapter against the local test server: re-extraction
// replaces stale memories, and failures cross the worker's wire typed, with their codes.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttuneDB } from '../../src/store/db.ts';
import { DexieEvaluationStore } from '../../src/store/evaluation-store.ts';
import { emptyBundle } from '../../src/domain/bundle.ts';
import { OpenAIEngine } from '../../src/llm/openai.ts';
import { EngineError } from '../../src/llm/errors.ts';
import type { ChatEngine } from '../../src/llm/engine.ts';
import { MethodError, decodeError, encodeError } from '../../src/method/errors.ts';
import { runJob } from '../../src/services/evaluation-jobs.ts';
import type { JobRequest, WorkerReply } from '../../src/services/evaluation-protocol.ts';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';

const T = 1_700_000_000_000;
let db: AttuneDB;
let server: OpenAIServer | undefined;

beforeEach(async () => {
  db = new AttuneDB(`jobs-${Math.random()}`);
  const b = emptyBundle('sharegpt', 'ana.json');
  const source = { format: 'sharegpt' as const, file: 'ana.json' };
  b.people.push({ id: 'person_ana', name: 'Ana', source, demo: false, createdAt: T });
  b.conversations.push({ id: 'conv_1', personId: 'person_ana', title: 'Moving', startedAt: T, source, messageCount: 2 });
  b.messages.push(
    { id: 'msg_0', conversationId: 'conv_1', personId: 'person_ana', index: 0, role: 'user', text: 'My sister moved to Lisbon.', time: T },
    { id: 'msg_1', conversationId: 'conv_1', personId: 'person_ana', index: 1, role: 'assistant', text: 'That is a big change.', time: T + 1 },
  );
  await db.applyImport([b]);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await db.delete();
});

async function job(request: JobRequest, engine: ChatEngine | null) {
  const replies: WorkerReply[] = [];
  const result = await runJob(request, { db, store: new DexieEvaluationStore(db), engine, signal: new AbortController().signal, reply: (m) => replies.push(m) });
  return { result, replies };
}

/** What the page gets back for a failed job: the error through the wire format and structured cloning. */
async function failure(request: JobRequest, engine: ChatEngine | null): Promise<unknown> {
  const error = await job(request, engine).then(() => undefined, (e: unknown) => e);
  expect(error).toBeDefined();
  return decodeError(structuredClone(encodeError(error)));
}

describe('evaluation jobs on the app store', () => {
  it('re-extraction in the app replaces the memories of a changed conversation, as the CLI does', async () => {
    server = await startOpenAIServer();
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const first = await job({ kind: 'extract-memories', jobId: 1, personId: 'person_ana' }, engine);
    expect(first.result).toEqual({ kind: 'extract-memories', value: { conversations: 1, failures: 0 } });
    expect(first.replies).toContainEqual({ type: 'progress', jobId: 1, progress: { done: 0, total: 1, text: 'Reading “Moving”' } });
    const before = await db.listMemories('person_ana');
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((m) => m.origin === 'extracted' && m.evidence.length > 0)).toBe(true);

    // The conversation grows: its extraction is redone and the old memories give way.
    await db.addMessages([{ id: 'msg_2', conversationId: 'conv_1', personId: 'person_ana', index: 2, role: 'user', text: 'I miss her every day.', time: T + 2 }]);
    await db.conversations.update('conv_1', { messageCount: 3 });
    await job({ kind: 'extract-memories', jobId: 2, personId: 'person_ana' }, engine);
    const after = await db.listMemories('person_ana');
    expect(after.length).toBeGreaterThan(0);
    const oldIds = new Set(before.map((m) => m.id));
    expect(after.filter((m) => oldIds.has(m.id))).toEqual([]);
    expect(server.chatRequests()).toHaveLength(2);

    // Then the persona, from those memories: a new version.
    const persona = await job({ kind: 'persona', jobId: 3, personId: 'person_ana' }, engine);
    expect(persona.result).toEqual({ kind: 'persona', value: { version: 1 } });
  });

  it('a 401 stops the job after one request and reaches the page as an EngineError coded unauthorized', async () => {
    server = await startOpenAIServer({ respond: () => ({ status: 401, body: '{"error":{"message":"invalid api key"}}' }) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const error = await failure({ kind: 'extract-memories', jobId: 1, personId: 'person_ana' }, engine);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'unauthorized', userMessage: expect.stringMatching(/refused the API key/) });
    expect(server.chatRequests()).toHaveLength(1);
    expect(await db.listMemories('person_ana')).toEqual([]);
  });

  it('a missing case and a missing model reach the page typed too', async () => {
    const gone = await failure({ kind: 'generate', jobId: 1, caseId: 'case_gone', style: 'generic' }, null);
    expect(gone).toBeInstanceOf(EngineError);
    expect(gone).toMatchObject({ code: 'no-model' });

    server = await startOpenAIServer();
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const missing = await failure({ kind: 'generate', jobId: 2, caseId: 'case_gone', style: 'generic' }, engine);
    expect(missing).toBeInstanceOf(MethodError);
    expect(missing).toMatchObject({ code: 'not-found', userMessage: 'That case no longer exists.' });
  });
});
