// The scripted engine as the browser tests serve it (see src/services/test-engine.ts): the
// method's test double, with an optional delay per call (so a run can be interrupted) and
// steps that answer with unparseable text (so failures can be shown and retried).
import { ScriptedEngine } from '../../helpers/scripted-engine.ts';
import { cannedAnswer, stepOf } from '../../helpers/canned.ts';

export function createEngine(o: { delayMs: number; fail: string[] }) {
  return new ScriptedEngine({
    respond: async (request) => {
      if (o.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, o.delayMs);
          request.signal?.addEventListener('abort', () => { clearTimeout(t); reject(new DOMException('Aborted', 'AbortError')); }, { once: true });
        });
      }
      if (o.fail.includes(stepOf(request.messages))) return 'Sorry, I would rather chat about the weather. Score: great!';
      return cannedAnswer(request.messages, request.seed);
    },
  });
}
