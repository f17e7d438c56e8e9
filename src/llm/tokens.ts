// The one token estimate, for engines without a tokenizer at hand (WebLLM exposes none; an
// OpenAI-compatible server may lack /tokenize or usage figures). UTF-8 bytes / 3 errs high for
// English (about 4 characters a token) and is about right for scripts of 2-3 bytes a character,
// where a characters/4 rule would badly undercount: budgets fitted with it stay inside the window.
const encoder = new TextEncoder();

export function estimateTokens(text: string): number {
  return Math.ceil(encoder.encode(text).length / 3);
}
