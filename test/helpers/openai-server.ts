// A small, real OpenAI-compatible HTTP server on 127.0.0.1 (random port) for tests and
// benches: /v1/models, /v1/chat/completions (streaming SSE and plain JSON, with usage and
// optional log-probabilities), and llama.cpp's /tokenize, with CORS open as llama.cpp's is
// (the browser tests point the app at it). Answers come from a script
// (canned step answers by default); every request is recorded. Token counts are src/llm/tokens.ts's
// estimate, applied the same way to every request so that benches compare like with like.
// Each answered chat request also records how many of its prompt tokens a caching server would
// have had to process (PromptCacheCounter below).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from '../../src/llm/engine.ts';
import { estimateTokens } from '../../src/llm/tokens.ts';
import { cannedAnswer } from './canned.ts';

export interface ChatBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  seed?: number;
  temperature?: number;
  max_tokens?: number;
  logprobs?: boolean;
  top_logprobs?: number;
  response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  n?: number;
  stream_options?: { include_usage?: boolean };
}

export interface ScriptedReply {
  text?: string;
  /** Answer with this HTTP status and body instead. */
  status?: number;
  body?: string;
  /** Wait before answering (for timeout and abort tests). */
  delayMs?: number;
  finishReason?: 'stop' | 'length';
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** For chat calls: tokens in and out, as the server counted them. */
  promptTokens?: number;
  completionTokens?: number;
  /** For answered chat calls: prompt tokens not covered by a cached prefix (see PromptCacheCounter). */
  uncachedPromptTokens?: { anyEarlier: number; previous: number };
}

export interface ServerOptions {
  respond?: (body: ChatBody, index: number) => string | ScriptedReply | Promise<string | ScriptedReply>;
  /** Entries for GET /v1/models. */
  models?: Record<string, unknown>[];
  /** Serve llama.cpp's POST /tokenize. Default true. */
  tokenize?: boolean;
  /** Require "Authorization: Bearer KEY". */
  apiKey?: string;
  /** Answer 400 to response_format json_schema, as servers without schema support do. */
  rejectJsonSchema?: boolean;
  /** Answer 400 to n > 1, as llama.cpp does. */
  rejectN?: boolean;
  /** Answer n > 1 with one choice only, as servers that silently ignore `n` do. */
  ignoreN?: boolean;
  /** Answer 404 model_not_found to a chat request for a model not in `models`, as OpenAI and vLLM do. */
  knownModelsOnly?: boolean;
}

export interface OpenAIServer {
  url: string;
  requests: RecordedRequest[];
  chatRequests(): (RecordedRequest & { body: ChatBody })[];
  close(): Promise<void>;
}

function promptTokens(messages: ChatMessage[]): number {
  return messages.reduce((s, m) => s + estimateTokens(m.content) + 4, 0);
}

/**
 * The prompt as the token sequence this server counts: per message four marker tokens (the
 * "+ 4" of promptTokens), then the content in 3-byte pieces (estimateTokens' unit). Its length
 * is promptTokens(messages) exactly; equal prompt prefixes give equal token prefixes.
 */
function promptTokenSequence(messages: ChatMessage[]): string[] {
  const tokens: string[] = [];
  for (const m of messages) {
    tokens.push('<|start|>', `<|${m.role}|>`, '<|sep|>', '<|content|>');
    const bytes = Buffer.from(m.content, 'utf8');
    for (let i = 0; i < bytes.length; i += 3) tokens.push(bytes.subarray(i, i + 3).toString('latin1'));
  }
  return tokens;
}

/** Tokens per cached block in vLLM's automatic prefix caching (its default block size). */
export const PREFIX_CACHE_BLOCK = 16;

/**
 * Prompt tokens a caching server would still have to process, two ways:
 * - anyEarlier: vLLM-style automatic prefix caching: the prompt's leading full blocks of 16
 *   tokens already seen in any earlier prompt (block hashes chained over the prefix) are reused;
 *   the cache is never evicted, so this is the best a prefix cache can do.
 * - previous: llama.cpp single-slot style (cache_prompt): only the common prefix with the
 *   previous prompt is reused, token by token.
 */
export class PromptCacheCounter {
  private blocks = new Set<string>();
  private last: string[] = [];

  count(messages: ChatMessage[]): { anyEarlier: number; previous: number } {
    const tokens = promptTokenSequence(messages);
    let chain = '';
    let cachedBlocks = 0;
    let stillCached = true;
    for (let start = 0; start + PREFIX_CACHE_BLOCK <= tokens.length; start += PREFIX_CACHE_BLOCK) {
      chain = createHash('sha256').update(chain).update(tokens.slice(start, start + PREFIX_CACHE_BLOCK).join('\u0000')).digest('hex');
      if (stillCached && this.blocks.has(chain)) cachedBlocks++;
      else stillCached = false;
      this.blocks.add(chain);
    }
    let common = 0;
    while (common < tokens.length && common < this.last.length && tokens[common] === this.last[common]) common++;
    this.last = tokens;
    return { anyEarlier: tokens.length - cachedBlocks * PREFIX_CACHE_BLOCK, previous: tokens.length - common };
  }
}

// Splits an answer into stream pieces of a few characters, keeping digits as their own piece
// so that a score is a single token with log-probabilities.
function pieces(text: string): string[] {
  return text.match(/\d|[^\d]{1,4}/g) ?? [];
}

function logprobFor(token: string) {
  const digit = /^[1-5]$/.test(token) ? Number(token) : null;
  if (digit === null) return { token, logprob: 0, top_logprobs: [] };
  const alternatives = [digit, digit === 5 ? 4 : digit + 1, digit === 1 ? 2 : digit - 1].filter((d, i, a) => a.indexOf(d) === i);
  const probabilities = [0.7, 0.2, 0.1];
  return { token, logprob: Math.log(0.7), top_logprobs: alternatives.map((d, i) => ({ token: String(d), logprob: Math.log(probabilities[i]) })) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startOpenAIServer(options: ServerOptions = {}): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  let chatIndex = 0;
  const respond = options.respond ?? ((body: ChatBody) => cannedAnswer(body.messages, body.seed));
  const open = new Set<ServerResponse>();
  const cache = new PromptCacheCounter();

  const server = createServer(async (req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const path = (req.url ?? '/').split('?')[0];
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // recorded as text
    }
    // CORS, as llama.cpp and vLLM allow, so the app in a browser can reach this server too.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, content-type' });
      return res.end();
    }
    const record: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
    requests.push(record);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(401, { error: { message: 'invalid api key', type: 'authentication_error' } });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(200, { object: 'list', data: options.models ?? [{ id: 'test-model', object: 'model' }] });
    }
    if (req.method === 'POST' && path === '/tokenize' && options.tokenize !== false) {
      const content = (body as { content?: string })?.content ?? '';
      return json(200, { tokens: Array.from({ length: estimateTokens(content) }, (_, i) => i) });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return json(404, { error: { message: `no route ${req.method} ${path}` } });
    }
    const chat = body as ChatBody;
    if (!chat || !Array.isArray(chat.messages)) return json(400, { error: { message: 'messages is required' } });
    if (options.knownModelsOnly && !(options.models ?? [{ id: 'test-model' }]).some((m) => m.id === chat.model)) {
      return json(404, { error: { message: `The model \`${chat.model}\` does not exist`, type: 'invalid_request_error', code: 'model_not_found' } });
    }
    if (options.rejectJsonSchema && chat.response_format?.type === 'json_schema') {
      return json(400, { error: { message: 'response_format type json_schema is not supported' } });
    }
    if (options.rejectN && (chat.n ?? 1) > 1) return json(400, { error: { message: 'Only one completion choice is allowed' } });
    // Sample i of n answers as a lone request seeded seed + i·1 000 003 would.
    const n = options.ignoreN ? 1 : Math.max(1, chat.n ?? 1);
    const index = chatIndex++;
    const replies: ScriptedReply[] = [];
    for (let i = 0; i < n; i++) {
      const seed = chat.seed === undefined ? undefined : chat.seed + i * 1_000_003;
      const answer = await respond({ ...chat, seed }, index);
      replies.push(typeof answer === 'string' ? { text: answer } : answer);
    }
    const [reply] = replies;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if (reply.status) {
      res.writeHead(reply.status, { 'content-type': 'text/plain' });
      return res.end(reply.body ?? '');
    }
    record.promptTokens = promptTokens(chat.messages);
    record.uncachedPromptTokens = cache.count(chat.messages);
    record.completionTokens = replies.reduce((t, r) => t + estimateTokens(r.text ?? ''), 0);
    const usage = { prompt_tokens: record.promptTokens, completion_tokens: record.completionTokens, total_tokens: record.promptTokens + record.completionTokens };
    if (!chat.stream) {
      return json(200, {
        id: `chatcmpl-${index}`, object: 'chat.completion', model: chat.model,
        choices: replies.map((r, i) => ({
          index: i, message: { role: 'assistant', content: r.text ?? '' }, finish_reason: r.finishReason ?? 'stop',
          ...(chat.logprobs ? { logprobs: { content: pieces(r.text ?? '').map(logprobFor) } } : {}),
        })),
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
    const streams = replies.map((r) => pieces(r.text ?? ''));
    // Interleaved by choice, as servers stream several choices.
    for (let step = 0; step < Math.max(...streams.map((p) => p.length)); step++) {
      for (const [i, parts] of streams.entries()) {
        if (step >= parts.length) continue;
        const piece = parts[step];
        send({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', choices: [{ index: i, delta: { content: piece }, finish_reason: null, ...(chat.logprobs ? { logprobs: { content: [logprobFor(piece)] } } : {}) }] });
      }
    }
    for (const [i, r] of replies.entries()) {
      send({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', choices: [{ index: i, delta: {}, finish_reason: r.finishReason ?? 'stop' }] });
    }
    if (chat.stream_options?.include_usage) send({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', choices: [], usage });
    res.end('data: [DONE]\n\n');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/v1/chat/completions') as (RecordedRequest & { body: ChatBody })[],
    close: () => new Promise<void>((resolve) => {
      for (const res of open) res.destroy();
      server.close(() => resolve());
    }),
  };
}
