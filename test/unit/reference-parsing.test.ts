// How a judge's answer and a candidate's <think> block are read: eval.py's reading beside
// Attune's, one row per case (issue 8, item 4). eval.py reads the float in the first
// `\boxed{([\d.]+)}` of the text after the last `</think>` (None when there is none); a row
// where Attune reads otherwise says why in `why`. The eval.py column is written by hand from
// that rule (../shared/METHOD.md, "eval.py"), not computed by Attune.
import { describe, expect, it } from 'vitest';
import { parseJudge } from '../../src/method/steps/judge.ts';
import { stripThink } from '../../src/method/text.ts';

/** A number, or "failure": the answer is kept as an unparseable judgment (raw text kept), never defaulted. */
type Reading = number | 'failure';

interface JudgeRow {
  name: string;
  answer: string;
  /** eval.py's score: a float, None, or a crash. */
  evalPy: number | 'None' | 'ValueError';
  /** Attune with `scoring: 'reference'` (the reference protocol). */
  reference: Reading;
  /** Attune with `scoring: 'attune'` (default and fast). */
  attune: Reading;
  /** Why Attune reads it otherwise than eval.py, where it does. */
  why?: string;
}

const JUDGE_TABLE: JudgeRow[] = [
  { name: 'the reference format', answer: 'Analysis: warm and specific.\nScores: \\boxed{4}', evalPy: 4, reference: 4, attune: 4 },
  { name: 'first boxed against a later one', answer: 'Analysis: between \\boxed{2} and more.\nScores: \\boxed{4}', evalPy: 2, reference: 2, attune: 2 },
  { name: 'a trailing dot', answer: 'Analysis: fine.\nScores: \\boxed{4.}', evalPy: 4, reference: 4, attune: 4 },
  { name: 'a non-integer score', answer: 'Analysis: between two levels.\nScores: \\boxed{3.5}', evalPy: 3.5, reference: 3.5, attune: 3.5 },
  { name: 'spaces inside the braces', answer: 'Analysis: fine.\nScores: \\boxed{ 4 }', evalPy: 'None', reference: 'failure', attune: 'failure' },
  {
    name: 'a score above 5', answer: 'Analysis: superb.\nScores: \\boxed{7}', evalPy: 7, reference: 7, attune: 'failure',
    why: 'attune scoring holds the judge to its 1–5 scale; the reference protocol keeps 7 (flagged score-out-of-range) as eval.py does',
  },
  {
    name: 'a score of 0', answer: 'Analysis: harmful.\nScores: \\boxed{0}', evalPy: 0, reference: 0, attune: 'failure',
    why: 'as above: outside 1–5 is not an answer to the question asked, except under the reference protocol',
  },
  {
    name: 'two dots', answer: 'Analysis: odd.\nScores: \\boxed{1.2.3}', evalPy: 'ValueError', reference: 'failure', attune: 'failure',
    why: 'eval.py\'s float() raises and the run stops; Attune keeps the answer as a failure and goes on',
  },
  // Attune's JSON answer carries its analysis: a bare score is no answer, as it is none to eval.py.
  { name: 'JSON with a bare score', answer: '{"score": 4}', evalPy: 'None', reference: 'failure', attune: 'failure' },
  {
    name: 'JSON with an integer score', answer: '{"analysis": "warm and specific", "score": 4}', evalPy: 'None', reference: 4, attune: 4,
    why: 'a schema-constrained engine answers in JSON; the score it carries is the same verdict, so it counts',
  },
  {
    // Attune's JSON schema asks for an integer; with no text-format score to fall back on, a failure.
    name: 'JSON with a non-integer score, no boxed', answer: '{"analysis": "between two levels", "score": 4.5}', evalPy: 'None', reference: 'failure', attune: 'failure',
  },
  {
    name: 'JSON with a non-integer score, and a boxed', answer: '{"analysis": "between two levels", "score": 4.5}\nScores: \\boxed{4.5}', evalPy: 4.5, reference: 4.5, attune: 4.5,
  },
  {
    name: 'a think block with a draft boxed before the verdict',
    answer: '<think>Maybe \\boxed{1}? No, it names the feeling.</think>\nAnalysis: names the feeling.\nScores: \\boxed{4}', evalPy: 4, reference: 4, attune: 4,
  },
  {
    name: 'a think block in the middle', answer: 'Analysis: first thoughts <think>\\boxed{1}</think>\nScores: \\boxed{4}', evalPy: 4, reference: 4, attune: 4,
  },
  {
    name: 'two think blocks', answer: '<think>a</think> draft \\boxed{2} <think>\\boxed{1}</think>\nScores: \\boxed{5}', evalPy: 5, reference: 5, attune: 5,
  },
  {
    name: 'an unclosed think block', answer: '<think>I would say \\boxed{3} but I ran out of', evalPy: 3, reference: 'failure', attune: 'failure',
    why: 'an unclosed <think> is reasoning cut off by the answer limit: a draft, not a verdict, so Attune records a failure (raw kept) instead of reading the draft',
  },
  { name: 'an empty answer', answer: '', evalPy: 'None', reference: 'failure', attune: 'failure' },
  { name: 'prose without a score', answer: 'A decent reply, I would say four.', evalPy: 'None', reference: 'failure', attune: 'failure' },
];

function read(answer: string, scoring: 'reference' | 'attune'): Reading {
  try {
    return parseJudge(answer, { dynamic: false, scoring }).score;
  } catch {
    return 'failure';
  }
}

describe('judge answers: eval.py\'s reading beside Attune\'s', () => {
  it.each(JUDGE_TABLE)('$name', (row) => {
    expect(read(row.answer, 'reference')).toBe(row.reference);
    expect(read(row.answer, 'attune')).toBe(row.attune);
    // Every row where a reading differs from eval.py's says why; agreeing rows need no reason.
    // None is what Attune calls a failure; a crash is not a reading Attune shares.
    const evalPyReading: Reading | 'crash' = typeof row.evalPy === 'number' ? row.evalPy : row.evalPy === 'None' ? 'failure' : 'crash';
    const differs = row.reference !== evalPyReading || row.attune !== evalPyReading;
    expect(differs ? typeof row.why === 'string' && row.why.length > 0 : row.why === undefined).toBe(true);
  });

  it('flags a reference-scored value outside 1–5 instead of hiding it', () => {
    expect(parseJudge('Scores: \\boxed{7}', { dynamic: false, scoring: 'reference' }).flags).toEqual(['score-out-of-range']);
    expect(parseJudge('Scores: \\boxed{4}', { dynamic: false, scoring: 'reference' }).flags).toEqual([]);
  });

  it('names why an answer failed', () => {
    expect(() => parseJudge('', { dynamic: false, scoring: 'reference' })).toThrow(/boxed/);
    expect(() => parseJudge('Scores: \\boxed{9}', { dynamic: false, scoring: 'attune' })).toThrow(/outside 1–5/);
    expect(() => parseJudge('{"analysis": "x", "score": 4.5}', { dynamic: false, scoring: 'attune' })).toThrow(/JSON answer does not fit/);
  });
});

interface ReplyRow {
  name: string;
  response: string;
  /** The reply eval.py judges: the text after the last </think> when "<think>" occurs (whitespace trimmed here). */
  evalPy: string;
  attune: string;
  why?: string;
}

const REPLY_TABLE: ReplyRow[] = [
  { name: 'no think block', response: 'That sounds hard.', evalPy: 'That sounds hard.', attune: 'That sounds hard.' },
  { name: 'a leading think block', response: '<think>be kind</think>\nThat sounds hard.', evalPy: 'That sounds hard.', attune: 'That sounds hard.' },
  { name: 'a think block after some text', response: 'Hmm. <think>be kind</think> That sounds hard.', evalPy: 'That sounds hard.', attune: 'That sounds hard.' },
  { name: 'two closing tags', response: '<think>a</think>draft</think>That sounds hard.', evalPy: 'That sounds hard.', attune: 'That sounds hard.' },
  { name: 'a closing tag without an opening one', response: 'plan</think>That sounds hard.', evalPy: 'plan</think>That sounds hard.', attune: 'plan</think>That sounds hard.' },
  {
    name: 'an unclosed think block', response: '<think>be kind, then', evalPy: '<think>be kind, then', attune: '',
    why: 'the reply never came (the reasoning was cut off): Attune judges an empty reply rather than the model\'s private reasoning',
  },
  {
    name: 'tags in capitals', response: '<THINK>be kind</THINK>That sounds hard.', evalPy: '<THINK>be kind</THINK>That sounds hard.', attune: 'That sounds hard.',
    why: 'reasoning in capital tags is still reasoning, never part of the reply',
  },
  { name: 'an empty response', response: '', evalPy: '', attune: '' },
];

describe('candidate replies with <think>: eval.py\'s reply beside Attune\'s', () => {
  it.each(REPLY_TABLE)('$name', (row) => {
    expect(stripThink(row.response)).toBe(row.attune);
    expect(row.attune === row.evalPy ? row.why === undefined : !!row.why).toBe(true);
  });
});
