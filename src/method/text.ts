// Text helpers shared by every step: cleaning model answers, finding JSON in them, delimiting
// untrusted text inside prompts, and a small relevance score for choosing memories. Pure functions, no I/O.

/**
 * The answer without its reasoning, as eval.py cuts a response: when a `<think>` occurs anywhere,
 * the text after the last `</think>`. Unlike eval.py, an unclosed `<think>` gives "" (the reasoning
 * was cut off and no answer came) and the tags are matched in any case.
 */
export function stripThink(text: string): string {
  if (!/<think>/i.test(text)) return text.trim();
  const closings = [...text.matchAll(/<\/think>/gi)];
  const last = closings.at(-1);
  if (!last) return '';
  return text.slice(last.index! + last[0].length).trim();
}

/**
 * Finds the JSON object in a model answer: the whole text, a ```json fenced block, or the span
 * from the first "{" to the last "}". Throws with the reason when none parses.
 */
export function extractJson(raw: string): unknown {
  const text = stripThink(raw);
  const attempts: string[] = [text];
  for (const m of text.matchAll(/```(?:json|JSON)?\s*\n?([\s\S]*?)```/g)) attempts.push(m[1]);
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) attempts.push(text.slice(first, last + 1));
  for (const candidate of attempts) {
    try {
      return JSON.parse(candidate.trim());
    } catch {
      // try the next shape
    }
  }
  throw new Error('no JSON object found in the answer');
}

/**
 * Wraps untrusted text in <tag>…</tag>. Any opening or closing form of the same tag inside the
 * text is defused (its "<" escaped), so the text cannot end the block early.
 */
export function delimit(tag: string, text: string): string {
  const inner = text.replace(new RegExp(`<(/?\\s*${tag})`, 'gi'), '&lt;$1');
  return `<${tag}>\n${inner}\n</${tag}>`;
}

const STOP_WORDS = new Set(
  'a an the and or but if of to in on at for with from by as is are was were be been am i me my you your it its this that these those he she they them we our us do does did not no so just very can will would should could have has had what when where who how why about into than then there their'.split(' '),
);

export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/**
 * BM25-style relevance of each document to the query (k1 = 1.2, b = 0.75): enough to rank a
 * few hundred memories by how much they share with the query and scenario.
 */
export function relevanceScores(query: string, documents: string[]): number[] {
  const q = new Set(words(query));
  const docs = documents.map(words);
  const avgLen = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, docs.length) || 1;
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) if (q.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
  return docs.map((d) => {
    const tf = new Map<string, number>();
    for (const w of d) if (q.has(w)) tf.set(w, (tf.get(w) ?? 0) + 1);
    let score = 0;
    for (const [w, f] of tf) {
      const idf = Math.log(1 + (docs.length - (df.get(w) ?? 0) + 0.5) / ((df.get(w) ?? 0) + 0.5));
      score += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * d.length) / avgLen));
    }
    return score;
  });
}
