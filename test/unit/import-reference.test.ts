// The reference's own files (METHOD.md, "Reference data formats"): a sessions file with full
// category names, its criteria file (prepare_criteria.py) and three predictions files, one entry
// per session. Every response must land on its own query, named after its system.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Candidate, Case } from '../../src/domain/records.ts';
import { parseFiles, type ImportBundle, type InputFile } from '../../src/import/index.ts';
import { summarize } from '../../src/import/preview.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = new URL('../fixtures/reference/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const fixture = (name: string): InputFile => ({ name, bytes: new TextEncoder().encode(text(name)) });
const json = (name: string) => JSON.parse(text(name));
const file = (name: string, value: unknown): InputFile => ({ name, bytes: new TextEncoder().encode(JSON.stringify(value)) });

const SYSTEMS = ['qwen2.5-7b-instruct', 'deepseek-r1-distill-8b', 'llama-3.1-8b-instruct'];
const ALL = ['English.json', 'English_criteria.json', ...SYSTEMS.map((s) => `${s}.json`)];

interface Session { session_id: string; queries: { query_id: string; query: string; category: string; situation: unknown }[] }
interface Prediction { responses: { response: string }[] }

async function parseAll(names = ALL): Promise<ImportBundle[]> {
  const result = await parseFiles(names.map(fixture));
  expect(result.issues).toEqual([]);
  return result.bundles;
}

const byFormat = (bundles: ImportBundle[], format: string) => bundles.filter((b) => b.format === format);

describe('reference sessions file', () => {
  it('reads full category names and codes in any case, keeping the text when it is not the code', async () => {
    const [b] = await parseAll(['English.json']);
    expect(b.format).toBe('personaemp');
    expect(b.people).toHaveLength(3);
    expect(b.cases.map((c) => [c.queryId, c.category, c.categoryLabel])).toEqual([
      ['english_0:0', 'ES', 'Emotional Support'],
      ['english_0:1', 'SS', 'Social Strategy'],
      ['english_1:0', 'HEI', 'High-EQ Interaction'],
      ['english_1:1', 'ES', 'emotional support '],
      ['english_1:2', 'SS', undefined],
      ['english_2:0', 'ES', 'Emotional Support'],
    ]);
    for (const c of b.cases) expect(() => Case.parse(c)).not.toThrow();
    // Memories keep their position in extracted_memory (the reference lists them in that order).
    const first = b.memories.filter((m) => m.personId === b.people[0].id);
    expect(first.map((m) => [m.order, m.label])).toEqual([[0, 'states and experiences'], [1, 'social relationships'], [2, 'constraints and boundaries']]);
  });

  it('keeps session_id and query_id on every case, and the scenario whether the situation is an object or text', async () => {
    const [b] = await parseAll(['English.json']);
    const sessions = json('English.json') as Session[];
    const expected = sessions.flatMap((s) => s.queries.map((q) => ({
      sessionId: s.session_id, queryId: q.query_id, query: q.query,
      scenario: typeof q.situation === 'string' ? q.situation : (q.situation as { situation: string }).situation,
    })));
    expect(b.cases.map((c) => ({ sessionId: c.sessionId, queryId: c.queryId, query: c.query, scenario: c.scenario }))).toEqual(expected);
    expect(b.cases.map((c) => c.source.externalId)).toEqual(expected.map((e) => e.queryId));
    const plain = b.cases.find((c) => c.queryId === 'english_1:1')!;
    expect(plain.scenario).toBe('Late evening after another appointment; the user is alone in the car in the hospital car park.');
    // Cases belong to their session's person.
    const person = (sessionId: string) => b.people.find((p) => p.source.externalId === sessionId)!.id;
    for (const c of b.cases) expect(c.personId).toBe(person(c.sessionId!));
  });

  it('keeps criteria embedded in queries as written', async () => {
    const [b] = await parseAll(['English.json']);
    const withCriteria = b.cases.filter((c) => c.referenceCriteria).map((c) => c.queryId);
    expect(withCriteria).toEqual(['english_0:0', 'english_1:0']);
    expect(b.cases[0].referenceCriteria?.expression).toBe(
      'Specific Criteria:\n1. Validation first (40%): acknowledges the feeling before any advice.\n2. Concrete next step (35%): one small, doable action for the next report.\n3. No comparison with colleagues (25%): avoids ranking the user against others.',
    );
  });
});

describe('reference predictions files', () => {
  it('pairs responses[j] of entry i with query j of session i, for each of three systems named after their files', async () => {
    const bundles = await parseAll();
    const [sessions] = byFormat(bundles, 'personaemp');
    const predictions = byFormat(bundles, 'personaemp-predictions');
    expect(predictions.map((b) => b.file)).toEqual(SYSTEMS.map((s) => `${s}.json`));
    const source = json('English.json') as Session[];
    const caseOf = new Map(sessions.cases.map((c) => [c.id, c]));
    for (const [k, system] of SYSTEMS.entries()) {
      const written = json(`${system}.json`) as Prediction[];
      const expected = source.flatMap((s, i) => s.queries.map((q, j) => ({
        sessionId: s.session_id, queryId: q.query_id, text: written[i].responses[j].response, system, name: system,
      })));
      const got = predictions[k].candidates.map((x) => {
        const c = caseOf.get(x.caseId)!;
        expect(x.personId).toBe(c.personId);
        expect(() => Candidate.parse(x)).not.toThrow();
        return { sessionId: c.sessionId, queryId: c.queryId, text: x.text, system: x.system, name: x.name };
      });
      expect(got).toEqual(expected);
    }
  });

  it('keeps a <think> block verbatim and an empty response as a candidate of its own query', async () => {
    const bundles = await parseAll();
    const [sessions] = byFormat(bundles, 'personaemp');
    const deepseek = byFormat(bundles, 'personaemp-predictions').find((b) => b.file === 'deepseek-r1-distill-8b.json')!;
    const queryOf = (caseId: string) => sessions.cases.find((c) => c.id === caseId)!.queryId;
    expect(deepseek.candidates).toHaveLength(6);
    const empty = deepseek.candidates.filter((c) => c.text === '');
    expect(empty.map((c) => queryOf(c.caseId))).toEqual(['english_1:1']);
    // The response after the empty one still answers its own query.
    expect(queryOf(deepseek.candidates[4].caseId)).toBe('english_1:2');
    expect(deepseek.candidates[4].text).toMatch(/^Frame it as a plan for Dad/);
    expect(deepseek.candidates[0].text).toMatch(/^<think>The user is new[\s\S]*<\/think>Being corrected in front of everyone/);
    expect(deepseek.notes).toEqual(['1 × empty responses (kept as empty replies, each paired with its own query)']);
  });

  it('gives identical replies of two systems two candidates', async () => {
    const bundles = await parseAll();
    const all = byFormat(bundles, 'personaemp-predictions').flatMap((b) => b.candidates);
    expect(new Set(all.map((c) => c.id)).size).toBe(18);
    const same = all.filter((c) => c.text.startsWith('Apologise without explaining the deadline first.'));
    expect(same.map((c) => c.system)).toEqual(['deepseek-r1-distill-8b', 'llama-3.1-8b-instruct']);
    expect(same[0].caseId).toBe(same[1].caseId);
    expect(same[0].id).not.toBe(same[1].id);
  });

  it('still reads the older flat layout (one entry per query) when the counts tell it apart', async () => {
    const flat = (json('qwen2.5-7b-instruct.json') as Prediction[]).flatMap((e) => e.responses.map((r) => ({ responses: [r] })));
    expect(flat).toHaveLength(6);
    const result = await parseFiles([fixture('English.json'), file('flat.json', flat)]);
    expect(result.issues).toEqual([]);
    const [sessions, predictions] = result.bundles;
    expect(predictions.candidates.map((c) => c.caseId)).toEqual(sessions.cases.map((c) => c.id));
    expect(predictions.candidates.map((c) => c.system)).toEqual(Array(6).fill('flat'));
    expect(predictions.notes).toEqual(['older flat layout: one entry per query, in file order (6 entries)']);
  });

  it('names the counts and the first mismatching entry when a file fits neither layout', async () => {
    const good = json('qwen2.5-7b-instruct.json') as Prediction[];
    const tooMany = [...good, good[2]];
    let result = await parseFiles([fixture('English.json'), file('four.json', tooMany)]);
    expect(result.issues).toEqual([{
      file: 'four.json', where: '$',
      message: 'expected one entry per session of English.json (3), or in the older flat layout one entry per query (6), found 4',
    }]);
    const short = good.map((e, i) => (i === 1 ? { responses: e.responses.slice(0, 2) } : e));
    result = await parseFiles([fixture('English.json'), file('short.json', short)]);
    expect(result.issues).toEqual([{
      file: 'short.json', where: '$[1].responses',
      message: 'entry 1 answers session "english_1" of English.json, which has 3 queries, but holds 2 responses '
        + '(responses[j] answers queries[j]; queries per session: 2, 3, 1; responses found: 2, 2, 1)',
    }]);
    expect(result.bundles.map((b) => b.file)).toEqual(['English.json']);
  });

  it('refuses a response whose written id is not the query it pairs with', async () => {
    const written = json('llama-3.1-8b-instruct.json') as { session_id: string; responses: { query_id: string; response: string }[] }[];
    const swapped = structuredClone(written);
    swapped[1].responses.reverse();
    const result = await parseFiles([fixture('English.json'), file('swapped.json', swapped)]);
    expect(result.issues).toEqual([{
      file: 'swapped.json', where: '$[1].responses[0].query_id', message: 'expected query "english_1:0" at this position, found the string "english_1:2"',
    }]);
  });

  it('refuses two predictions files with the same name: each is one system', async () => {
    const result = await parseFiles([fixture('English.json'), fixture('qwen2.5-7b-instruct.json'), { ...fixture('qwen2.5-7b-instruct.json'), name: 'other/qwen2.5-7b-instruct.json' }]);
    expect(result.issues).toEqual([{
      file: 'other/qwen2.5-7b-instruct.json', where: 'file',
      message: 'qwen2.5-7b-instruct.json in this import is also named "qwen2.5-7b-instruct"; each predictions file is a system named after its file: rename one',
    }]);
  });
});

describe('reference criteria file', () => {
  it('is its own format, attached to the cases by session_id and query_id whatever the file order', async () => {
    const source = json('English_criteria.json') as { session_id: string; criterias: { query_id: string; resonation: string; expression: string; reception: string }[] }[];
    for (const order of [ALL, [...ALL].reverse()]) {
      const bundles = await parseAll(order);
      const [criteria] = byFormat(bundles, 'personaemp-criteria');
      const [sessions] = byFormat(bundles, 'personaemp');
      expect(criteria.file).toBe('English_criteria.json');
      const expected = source.flatMap((s) => s.criterias.map(({ query_id, ...texts }) => ({ sessionId: s.session_id, queryId: query_id, texts })));
      // The update the store applies, and the cases of the same call already carrying it.
      expect(criteria.caseCriteria?.map((u) => ({ sessionId: u.sessionId, queryId: u.queryId, texts: u.referenceCriteria }))).toEqual(expected);
      for (const u of criteria.caseCriteria!) {
        const c = sessions.cases.find((x) => x.id === u.caseId)!;
        expect([c.sessionId, c.queryId]).toEqual([u.sessionId, u.queryId]);
        expect(c.referenceCriteria).toEqual(u.referenceCriteria);
      }
      expect(criteria.notes).toEqual([
        'criteria for 6 queries of 3 sessions',
        '1 queries had other criteria in their sessions file; this file\'s replace them',
      ]);
    }
  });

  it('is previewed with the rest: how many cases it gives criteria to', async () => {
    const { bundles, issues } = await parseFiles(ALL.map(fixture));
    const preview = summarize(bundles, issues);
    expect(preview.files.map((f) => [f.file, f.formats, f.counts.cases, f.counts.candidates, f.counts.criteria])).toEqual([
      ['English.json', ['personaemp'], 6, 0, 0],
      ['qwen2.5-7b-instruct.json', ['personaemp-predictions'], 0, 6, 0],
      ['deepseek-r1-distill-8b.json', ['personaemp-predictions'], 0, 6, 0],
      ['llama-3.1-8b-instruct.json', ['personaemp-predictions'], 0, 6, 0],
      ['English_criteria.json', ['personaemp-criteria'], 0, 0, 6],
    ]);
    expect(preview.total).toMatchObject({ people: 3, memories: 6, personas: 3, cases: 6, candidates: 18, criteria: 6 });
  });

  it('without its sessions file is an error, never two empty people', async () => {
    const result = await parseFiles([fixture('English_criteria.json')]);
    expect(result.bundles).toEqual([]);
    expect(result.issues).toEqual([{
      file: 'English_criteria.json', where: '$',
      message: 'criteria for sessions "english_0", "english_1", "english_2", but none of these sessions is in this import; '
        + 'a criteria file attaches to the cases of its sessions file: give both files together',
    }]);
  });

  it('names the sessions file that could not be read when it finds none of its sessions', async () => {
    const broken = { name: 'English.json', bytes: new TextEncoder().encode(text('English.json').slice(0, 500)) };
    const result = await parseFiles([broken, fixture('English_criteria.json')]);
    expect(result.issues.map((i) => i.file)).toEqual(['English.json', 'English_criteria.json']);
    expect(result.issues[1].message).toContain('none of these sessions is in this import (could not be read: English.json); a criteria file attaches');
  });

  it('names every session and query id it cannot match, and attaches nothing', async () => {
    const wrong = json('English_criteria.json');
    wrong[1].session_id = 'english_9';
    wrong[2].criterias[0].query_id = 'english_2:7';
    const result = await parseFiles([fixture('English.json'), file('wrong.json', wrong)]);
    expect(result.issues).toEqual([
      { file: 'wrong.json', where: '$[1].session_id', message: 'session "english_9" is not in English.json' },
      { file: 'wrong.json', where: '$[2].criterias[0].query_id', message: 'query "english_2:7" is not a query of session "english_2" in English.json (its queries: english_2:0)' },
    ]);
    expect(result.bundles.map((b) => b.format)).toEqual(['personaemp']);
    // Nothing was attached: the embedded criteria are as the sessions file wrote them.
    expect(result.bundles[0].cases.filter((c) => c.referenceCriteria).map((c) => c.queryId)).toEqual(['english_0:0', 'english_1:0']);
  });

  it('attaches to cases already in the store when the app can look them up', async () => {
    const [sessions] = await parseAll(['English.json']);
    const asked: string[][] = [];
    const storedCases = async (ids: string[]) => {
      asked.push(ids);
      return sessions.cases.filter((c) => ids.includes(c.sessionId!));
    };
    const partial = json('English_criteria.json').slice(0, 2);
    const result = await parseFiles([file('later.json', partial)], { storedCases });
    expect(result.issues).toEqual([]);
    expect(asked).toEqual([['english_0', 'english_1']]);
    const [b] = result.bundles;
    expect(b.format).toBe('personaemp-criteria');
    expect(b.caseCriteria?.map((u) => u.caseId)).toEqual(sessions.cases.slice(0, 5).map((c) => c.id));
    expect(b.notes?.[0]).toBe('criteria for 5 queries of 2 sessions (5 of them already in the library)');
    // Stored cases are changed by the store's update, not here.
    expect(sessions.cases[2].referenceCriteria?.reception).toBe('Specific Criteria:\n1. Feels backed (100%): the user would feel supported without being egged on.');
    const none = await parseFiles([fixture('English_criteria.json')], { storedCases: async () => [] });
    expect(none.issues[0].message).toContain('none of these sessions is in the library; a criteria file attaches to the cases of its sessions file: import the sessions file first, or choose both files at once');
  });

  it('counts queries of its sessions that it gives no criteria, and dimensions left null', async () => {
    const some = json('English_criteria.json');
    some[1].criterias.pop();
    some[0].criterias[1].reception = null;
    const result = await parseFiles([fixture('English.json'), file('some.json', some)]);
    expect(result.issues).toEqual([]);
    const criteria = result.bundles.find((b) => b.format === 'personaemp-criteria')!;
    expect(criteria.notes?.slice(2)).toEqual([
      '1 queries of these sessions have no criteria in this file',
      '1 dimension texts were missing or null (those dimensions have no fixed criteria)',
    ]);
    expect(criteria.caseCriteria?.[1].referenceCriteria).toEqual({ resonation: some[0].criterias[1].resonation, expression: some[0].criterias[1].expression });
  });
});

describe('attune evaluate reads the criteria file with its sessions', () => {
  const run = (...args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile('node', ['bin/attune.js', 'evaluate', ...args, '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--out', '/dev/null'],
      { cwd: root }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }));
  });
  const ref = (name: string) => `test/fixtures/reference/${name}`;

  it('--criteria FILE is parsed together with --data (no model call: the data has no replies yet)', async () => {
    const { code, stderr } = await run('--data', ref('English.json'), '--criteria', ref('English_criteria.json'));
    expect(code).toBe(1);
    expect(stderr).toBe('attune evaluate: the data holds 6 cases but no candidate replies to judge (PersonaEmp sessions need --predictions)\n');
  });

  it('a criteria file without its sessions file is an error naming it', async () => {
    const { code, stderr } = await run('--data', ref('English_criteria.json'));
    expect(code).toBe(1);
    expect(stderr).toContain(`${ref('English_criteria.json')} ($): criteria for sessions "english_0", "english_1", "english_2", but none of these sessions is in this import`);
  });
});
