// Errors of the method and of the jobs that run it, beside the engine's (llm/errors.ts), and the
// one wire format both cross a worker boundary in: { kind, code, message, userMessage }. The
// evaluation worker sends every failure this way; the page rebuilds the same class with the
// same code, so a screen can show `userMessage` and branch on `code` without parsing strings.
import { EngineError, fromWireError as fromEngineWire, toWireError as toEngineWire, type EngineWireError } from '../llm/errors.ts';

export type MethodErrorCode =
  /** The model's context window leaves no room for the instructions and the text to read. */
  | 'context-too-small'
  /** A record the job needs (a case, a candidate) is no longer in the store. */
  | 'not-found'
  /** The model's answer to a step that cannot be stored as a failure (the persona) did not parse. */
  | 'unparseable-answer'
  /** Cases lack the data set's criteria that the chosen protocol quotes (pipeline.ts RunSetupError). */
  | 'missing-criteria';

export class MethodError extends Error {
  readonly code: MethodErrorCode;
  readonly userMessage: string;

  constructor(code: MethodErrorCode, detail: string, userMessage: string = detail) {
    super(`${code}: ${detail}`);
    this.name = 'MethodError';
    this.code = code;
    this.userMessage = userMessage;
  }
}

export interface MethodWireError {
  kind: 'method';
  code: MethodErrorCode;
  message: string;
  userMessage: string;
}

/** Any failure as it crosses a worker boundary. */
export type WireError = EngineWireError | MethodWireError;

/** A MethodError keeps its code; anything else is classified as an engine error. */
export function encodeError(e: unknown): WireError {
  if (e instanceof MethodError) return { kind: 'method', code: e.code, message: e.message, userMessage: e.userMessage };
  return toEngineWire(e);
}

export function decodeError(error: WireError): EngineError | MethodError {
  if (error.kind === 'method') {
    const rebuilt = new MethodError(error.code, error.message, error.userMessage);
    rebuilt.message = error.message;
    return rebuilt;
  }
  return fromEngineWire(error);
}

/** The code of a typed failure (an engine's or the method's); undefined for anything else. */
export function errorCodeOf(e: unknown): string | undefined {
  return e instanceof EngineError || e instanceof MethodError ? e.code : undefined;
}

/** The words to show a person for any failure: the typed error's own, else its message. */
export function userMessageOf(e: unknown): string {
  if (e instanceof EngineError || e instanceof MethodError) return e.userMessage;
  return e instanceof Error ? e.message : String(e);
}
