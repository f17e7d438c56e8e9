// A ChatEngine across a MessagePort: the page owns the loaded model (a WebLLM or
// Transformers.js worker holds the GPU once), and an evaluation worker borrows it.
//   page:   const { port1, port2 } = new MessageChannel();
//           serveEngine(port1, engine); evalWorker.postMessage({ port: port2, info: engine.info }, [port2]);
//   worker: const engine = connectEngine(port, info);
// Requests carry an id; tokens stream back as they come; abort crosses as a message;
// errors cross as errors.ts's EngineWireError and become EngineError again.

import type { ChatEngine, ChatRequest, ChatResult, EngineInfo } from './engine';
import { EngineError, fromWireError, toWireError, type EngineWireError } from './errors';

type WireRequest = Omit<ChatRequest, 'signal' | 'onToken'>;

export type ClientMessage =
  | { type: 'chat'; id: number; request: WireRequest; stream: boolean }
  | { type: 'count'; id: number; text: string }
  | { type: 'abort'; id: number };

export type ServerMessage =
  | { type: 'token'; id: number; delta: string }
  | { type: 'result'; id: number; result: ChatResult }
  | { type: 'count'; id: number; tokens: number }
  | { type: 'error'; id: number; error: EngineWireError };

/** Answers requests arriving on `port` with `engine`. Returns a function that stops serving. */
export function serveEngine(port: MessagePort, engine: ChatEngine): () => void {
  const running = new Map<number, AbortController>();
  const send = (m: ServerMessage) => port.postMessage(m);

  async function handle(m: ClientMessage): Promise<void> {
    if (m.type === 'abort') {
      running.get(m.id)?.abort();
      return;
    }
    if (m.type === 'count') {
      try {
        send({ type: 'count', id: m.id, tokens: await engine.countTokens(m.text) });
      } catch (e) {
        send({ type: 'error', id: m.id, error: toWireError(e) });
      }
      return;
    }
    const controller = new AbortController();
    running.set(m.id, controller);
    try {
      const result = await engine.chat({
        ...m.request,
        signal: controller.signal,
        onToken: m.stream ? (delta) => send({ type: 'token', id: m.id, delta }) : undefined,
      });
      send({ type: 'result', id: m.id, result });
    } catch (e) {
      send({ type: 'error', id: m.id, error: toWireError(e) });
    } finally {
      running.delete(m.id);
    }
  }

  const onMessage = (event: MessageEvent<ClientMessage>) => void handle(event.data);
  port.addEventListener('message', onMessage as EventListener);
  port.start();
  return () => {
    port.removeEventListener('message', onMessage as EventListener);
    for (const controller of running.values()) controller.abort();
    running.clear();
  };
}

interface Pending {
  resolve: (value: never) => void;
  reject: (e: EngineError) => void;
  onToken?: (delta: string) => void;
}

/** A ChatEngine whose work is done by whatever `serveEngine` listens on the other end. */
export function connectEngine(port: MessagePort, info: EngineInfo): ChatEngine & { close(): void } {
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const onMessage = (event: MessageEvent<ServerMessage>) => {
    const m = event.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === 'token') {
      p.onToken?.(m.delta);
      return;
    }
    pending.delete(m.id);
    if (m.type === 'error') {
      p.reject(fromWireError(m.error));
    } else if (m.type === 'result') {
      p.resolve(m.result as never);
    } else {
      p.resolve(m.tokens as never);
    }
  };
  port.addEventListener('message', onMessage as EventListener);
  port.start();

  function call<T>(message: ClientMessage, onToken?: (delta: string) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      pending.set(message.id, { resolve: resolve as (v: never) => void, reject, onToken });
      port.postMessage(message);
    });
  }

  return {
    info,
    async chat(request: ChatRequest): Promise<ChatResult> {
      const { signal, onToken, ...wire } = request;
      if (signal?.aborted) throw new EngineError('aborted');
      const id = nextId++;
      const onAbort = () => port.postMessage({ type: 'abort', id } satisfies ClientMessage);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await call<ChatResult>({ type: 'chat', id, request: wire, stream: Boolean(onToken) }, onToken);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    countTokens(text: string): Promise<number> {
      return call<number>({ type: 'count', id: nextId++, text });
    },
    close() {
      port.removeEventListener('message', onMessage as EventListener);
      for (const p of pending.values()) p.reject(new EngineError('aborted', 'connection closed'));
      pending.clear();
      port.close();
    },
  };
}
