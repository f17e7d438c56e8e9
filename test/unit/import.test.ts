import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Candidate, Case, Conversation, Memory, Message, Person, Persona } from '../../src/domain/records.ts';
import { parseFiles, parsePastedText, type ImportBundle, type InputFile } from '../../src/import/index.ts';
import { locateSyntaxError, scanJson } from '../../src/import/json.ts';
import { summarize } from '../../src/import/preview.ts';
import { stripThink } from '../../src/method/text.ts';

const dir = new URL('../fixtures/import/', import.meta.url);
const fixture = (name: string): InputFile => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) });

async function one(...names: string[]): Promise<ImportBundle[]> {
  const result = await parseFiles(names.map(fixture));
  expect(result.issues).toEqual([]);
  return result.bundles;
}

/** Every record must pass its store schema, and ids must be unique within a bundle. */
function expectValid(bundle: ImportBundle): void {
  const schemas = [
    [bundle.people, Person], [bundle.conversations, Conversation], [bundle.messages, Message],
    [bundle.memories, Memory], [bundle.personas, Persona], [bundle.cases, Case], [bundle.candidates, Candidate],
  ] as const;
  for (const [records, schema] of schemas) {
    for (const record of records) expect(() => (schema as typeof Person).parse(record)).not.toThrow();
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
  }
  const people = new Set(bundle.people.map((p) => p.id));
  const conversations = new Set(bundle.conversations.map((c) => c.id));
  for (const m of bundle.messages) {
    expect(conversations.has(m.conversationId)).toBe(true);
    expect(people.has(m.personId)).toBe(true);
  }
  for (const c of bundle.conversations) {
    expect(bundle.messages.filter((m) => m.conversationId === c.id).map((m) => m.index)).toEqual([...Array(c.messageCount).keys()]);
  }
}

const ids = (b: ImportBundle) => [b.people, b.conversations, b.messages, b.memories, b.personas, b.cases, b.candidates].map((l) => l.map((r) => r.id));

describe('ChatGPT export', () => {
  it('keeps only the active branch (edits and regenerations), skipping system, tool, hidden and non-text content', async () => {
    const [b] = await one('chatgpt-conversations.json');
    expectValid(b);
    expect(b.format).toBe('chatgpt');
    expect(b.people).toHaveLength(1);
    expect(b.conversations.map((c) => c.title)).toEqual(['Nervous about the job interview', "Sister's wedding toast"]);
    const first = b.messages.filter((m) => m.conversationId === b.conversations[0].id);
    expect(first.map((m) => [m.role, m.text])).toEqual([
      ['user', "I have a nursing job interview tomorrow and I can't sleep. My last interview went badly and I keep replaying it."],
      ['assistant', 'That sounds exhausting. Replaying a hard interview is your mind trying to protect you.\nWould it help to go through what happened last time together?'],
      ['user', 'Here is the rejection email they sent last time.'],
      ['assistant', 'Thank you for sharing it. A polite template rejection says little about you as a nurse.'],
    ]);
    const all = b.messages.map((m) => m.text).join('\n');
    for (const gone of ['ORIGINAL BRANCH', 'FIRST ATTEMPT', 'Dear applicant', "ocr('email.png')", 'I\'m a nurse.']) expect(all).not.toContain(gone);
    expect(first[1].time).toBe(1718000130750);
    expect(b.conversations[0].startedAt).toBe(1718000000123);
    expect(b.conversations[0].source.externalId).toBe('6668a1b2-0000-4000-8000-000000000001');
    const second = b.messages.filter((m) => m.conversationId === b.conversations[1].id);
    expect(second[2].text).toBe('Should I mention Mom, or would that make everyone cry?');
    expect(b.notes).toEqual(['1 × image or file parts were skipped (only text is imported)']);
  });

  it('reads the downloaded .zip: same messages, the owner from user.json, the zip as the source file', async () => {
    const [json] = await one('chatgpt-conversations.json');
    const [zip] = await one('chatgpt-export.zip');
    expectValid(zip);
    expect(zip.file).toBe('chatgpt-export.zip');
    expect(zip.people[0].source).toEqual({ format: 'chatgpt', file: 'chatgpt-export.zip', externalId: 'user-Xk2p9QeLr7' });
    expect(zip.people[0].name).toBe('ChatGPT export (chatgpt-export.zip)');
    expect(zip.messages.map((m) => m.text)).toEqual(json.messages.map((m) => m.text));
    expect(zip.conversations.every((c) => c.source.file === 'chatgpt-export.zip')).toBe(true);
  });

  it('gives identical ids when the same file is parsed twice', async () => {
    const [a] = await one('chatgpt-export.zip');
    const [b] = await one('chatgpt-export.zip');
    expect(ids(a)).toEqual(ids(b));
    const [c] = await one('personaemp-sessions.json');
    const [d] = await one('personaemp-sessions.json');
    expect(ids(c)).toEqual(ids(d));
  });
});

describe('Claude export', () => {
  it('reads text and content[] items, keeps attachment text and names files without text', async () => {
    const [b] = await one('claude-conversations.json');
    expectValid(b);
    expect(b.format).toBe('claude');
    expect(b.people[0].source.externalId).toBe('acc-5e0b7d2c-7777-4000-8000-abcdefabcdef');
    const texts = b.messages.map((m) => [m.role, m.text]);
    expect(texts[0]).toEqual(['user', 'My team went to lunch without me again. I attached the chat where they planned it.\n\n'
      + '[Attached file: team-chat.txt]\nDana: lunch at 12?\nLee: yes, the ramen place\nDana: just us four then\n\n'
      + '[Image or file not in the export: screenshot.png]']);
    // Nothing attached is dropped without a word: the preview says what is only named.
    expect(b.notes).toEqual(expect.arrayContaining([
      '1 × attachments without text (such as images) are only named in their message',
      '1 × images or files that Claude exports without their content are only named in their message',
    ]));
    expect(texts[1][1]).toBe('Seeing "just us four" in writing would sting anyone. It makes sense that it hurts, especially when it keeps happening.');
    expect(texts[2][1]).toBe("I don't want to seem needy though.\n\n[Attached file: photo-of-desk.jpg (no text)]");
    expect(b.messages.map((m) => m.text).join()).not.toContain('validate first');
    expect(b.messages[0].time).toBe(Date.parse('2025-03-02T09:15:04.200000Z'));
    expect(b.conversations[1].title).toBe('');
  });

  it('takes the owner name from users.json inside the zip', async () => {
    const [b] = await one('claude-export.zip');
    expectValid(b);
    expect(b.people[0].name).toBe('Robin Vale');
    expect(b.messages).toHaveLength(6);
  });
});

describe('ShareGPT, OpenAI JSONL, CSV, text', () => {
  it('ShareGPT: one person per file, system turns skipped', async () => {
    const [b] = await one('sharegpt.json');
    expectValid(b);
    expect(b.format).toBe('sharegpt');
    expect(b.conversations).toHaveLength(2);
    expect(b.messages.filter((m) => m.conversationId === b.conversations[0].id).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('OpenAI JSONL: conversations, and preference lines as cases with labelled candidates', async () => {
    const [b] = await one('openai-chat.jsonl');
    expectValid(b);
    expect(b.format).toBe('openai-jsonl');
    expect(b.messages.filter((m) => m.conversationId === b.conversations[0].id).map((m) => m.text)).toEqual([
      'I finally finished my thesis draft!', "Congratulations! That's months of work. How are you feeling?",
      "Relieved, but my advisor hasn't replied in a week.", 'The silence after a big push can feel worse than the work itself.',
    ]);
    expect(b.messages.some((m) => m.text === 'shakshuka')).toBe(false);
    expect(b.cases.map((c) => [c.query, c.category])).toEqual([
      ["Night-shift nurse. I'm terrified I'll make a mistake that hurts someone.", 'ES'],
      ['My best friend forgot my birthday. Should I say something?', 'SS'],
    ]);
    const history = b.conversations.find((c) => c.title === 'preference history');
    expect(history?.messageCount).toBe(2);
    const first = b.candidates.filter((c) => c.caseId === b.cases[0].id);
    expect(first.map((c) => [c.name, c.label])).toEqual([['preferred', 1], ['non-preferred', 0]]);
    expect(first[1].text).toBe("Don't worry, you'll be fine!");
    expect(b.notes).toEqual(['1 preference case(s) had no category; they were set to ES (emotional support)']);
  });

  it('CSV: people, cases grouped by query, labels, quoted fields with commas and quotes', async () => {
    const [b] = await one('cases.csv');
    expectValid(b);
    expect(b.people.map((p) => p.name)).toEqual(['Mia', 'Jon']);
    expect(b.cases).toHaveLength(3);
    const mia = b.cases[0];
    expect(mia.scenario).toBe("Mia, 31, just ended a long relationship and hasn't told her parents.");
    expect(b.candidates.filter((c) => c.caseId === mia.id).map((c) => c.label)).toEqual([1, 0]);
    expect(b.cases[1].scenario).toBeUndefined();
    expect(b.candidates.find((c) => c.caseId === b.cases[1].id)?.label).toBeNull();
    expect(b.cases[2].category).toBe('HEI');
    expect(b.candidates.at(-1)?.text).toContain('"I was frustrated, not trying to embarrass you"');
    expect(b.candidates.at(-1)?.label).toBe(0.8);
  });

  it('CSV without a category column: ES, stated in the notes', async () => {
    const csv = 'query,response\n"I lost my job today.","That is a real shock."\n';
    const { bundles, issues } = await parseFiles([{ name: 'plain.csv', bytes: new TextEncoder().encode(csv) }]);
    expect(issues).toEqual([]);
    expect(bundles[0].cases[0].category).toBe('ES');
    expect(bundles[0].notes).toContain('no category column: every case is set to ES (emotional support)');
  });

  it('plain text: case-insensitive markers, multi-line turns', async () => {
    const [b] = await one('chat.txt');
    expectValid(b);
    expect(b.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(b.messages[0].text).toBe("I've been feeling really lonely since I moved to Berlin.\nI don't speak German well yet,\nand everyone at work already has their friends.");
  });

  it('pasted text goes through the same detection', async () => {
    const { bundles, issues } = await parsePastedText('user: I miss my grandmother.\nassistant: Tell me about her?');
    expect(issues).toEqual([]);
    expect(bundles[0].format).toBe('plaintext');
    expect(bundles[0].messages.map((m) => m.text)).toEqual(['I miss my grandmother.', 'Tell me about her?']);
    const jsonl = await parsePastedText('{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}');
    expect(jsonl.bundles[0].format).toBe('openai-jsonl');
  });
});

describe('PersonaEmp', () => {
  it('turns each session into a person with conversation, memories, persona and cases', async () => {
    const [b] = await one('personaemp-sessions.json');
    expectValid(b);
    expect(b.people.map((p) => p.name)).toEqual(['PersonaEmp s_0001', 'PersonaEmp s_0002']);
    const [s1] = b.people;
    const memories = b.memories.filter((m) => m.personId === s1.id);
    expect(memories.map((m) => m.label)).toEqual(['states and experiences', 'social relationships', 'personal background']);
    expect(memories[1].evidence).toEqual(["My brother lives twenty minutes away but says he's too busy."]);
    const cases = b.cases.filter((c) => c.personId === s1.id);
    expect(cases[0].relevantMemoryIds).toEqual([memories[0].id, memories[2].id]);
    expect(cases[0].scenario).toContain('double shift');
    expect(cases[0].referenceCriteria?.expression).toBe('Validates before suggesting anything; no lecturing.');
    expect(cases[1].scenario).toBeUndefined();
    expect(cases.map((c) => c.category)).toEqual(['ES', 'SS']);
    expect(b.personas.map((p) => p.isDeep)).toEqual([true, false]);
    expect(b.personas[0].topics).toEqual(['family caregiving', 'burnout', 'nursing']);
  });

  it('aligns a predictions file with the queries, keeping responses verbatim', async () => {
    const [sessions, predictions] = await one('personaemp-sessions.json', 'personaemp-predictions.json');
    expectValid(predictions);
    expect(predictions.format).toBe('personaemp-predictions');
    expect(predictions.candidates.map((c) => c.caseId)).toEqual(sessions.cases.map((c) => c.id));
    expect(predictions.candidates[0].text.startsWith('<think>')).toBe(true);
    expect(stripThink(predictions.candidates[0].text)).toBe("Snapping after a double shift doesn't make you a terrible daughter. It means you're carrying too much alone.");
    expect(predictions.candidates[2].personId).toBe(sessions.people[1].id);
    // Order of the files in the call does not matter.
    const reversed = await parseFiles(['personaemp-predictions.json', 'personaemp-sessions.json'].map(fixture));
    expect(reversed.issues).toEqual([]);
    expect(reversed.bundles.find((x) => x.format === 'personaemp-predictions')?.candidates.map((c) => c.id)).toEqual(predictions.candidates.map((c) => c.id));
  });
});

describe('JSON reading', () => {
  it('splits a top-level array into items without parsing it whole', () => {
    const bytes = new TextEncoder().encode(' [ {"a":"x,]\\"y"} , [1,[2]] ,"s", 3 ] ');
    const scanned = scanJson('t', bytes);
    const items = scanned.starts.map((s, i) => JSON.parse(new TextDecoder().decode(bytes.subarray(s, scanned.ends[i]))));
    expect(items).toEqual([{ a: 'x,]"y' }, [1, [2]], 's', 3]);
  });

  it('locates syntax errors JSON.parse only names', () => {
    expect(locateSyntaxError('{"a": 1 "b": 2}')).toMatchObject({ pos: 8, expected: "',' or '}' after a property value" });
    expect(locateSyntaxError('[1, 2')).toMatchObject({ pos: 5 });
    expect(locateSyntaxError('{"a": [true, false, null, -1.5e3, "\\u00e9"]}')).toBeNull();
  });

  it('reads UTF-8 with a BOM and UTF-16 with a BOM', async () => {
    const text = 'User: ça va ?\nAssistant: oui';
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) { utf16[2 + 2 * i] = text.charCodeAt(i) & 0xff; utf16[3 + 2 * i] = text.charCodeAt(i) >> 8; }
    const result = await parseFiles([{ name: 'a.txt', bytes: bom }, { name: 'b.txt', bytes: utf16 }]);
    expect(result.issues).toEqual([]);
    expect(result.bundles.map((b) => b.messages[0].text)).toEqual(['ça va ?', 'ça va ?']);
  });
});

describe('content ids', () => {
  it('the synchronous ids equal src/lib/hash.ts contentId for any content', async () => {
    const { contentId } = await import('../../src/lib/hash.ts');
    const { contentIdSync, messageId, sha256Bytes } = await import('../../src/import/ids.ts');
    const fc = await import('fast-check');
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.jsonValue(), async (text, value) => {
      expect(contentIdSync('k', text)).toBe(await contentId('k', text));
      expect(contentIdSync('k', value)).toBe(await contentId('k', value));
      expect(messageId('conv_1', 3, 'user', text)).toBe(await contentId('msg', { c: 'conv_1', i: 3, r: 'user', t: text }));
    }), { numRuns: 200 });
    for (const n of [0, 55, 56, 63, 64, 65, 119, 120, 128, 100_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      const digest = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
      expect(sha256Bytes(bytes)).toBe(digest);
    }
  });
});

describe('preview summary (what the import worker sends the page instead of the records)', () => {
  it('groups counts, formats and notes by file, totals them, and passes issues through', async () => {
    const csv = 'query,response\n"I lost my job today.","That is a real shock."\n';
    const { bundles, issues } = await parseFiles([
      fixture('chat.txt'),
      { name: 'plain.csv', bytes: new TextEncoder().encode(csv) },
      { name: 'broken.json', bytes: new TextEncoder().encode('[{"conversations": [') },
    ]);
    const preview = summarize(bundles, issues);
    expect(preview.bundleCount).toBe(bundles.length);
    expect(preview.files.map((f) => f.file)).toEqual(['chat.txt', 'plain.csv']);
    expect(preview.files[0]).toMatchObject({ formats: ['plaintext'], counts: { people: 1, conversations: 1, messages: 4 } });
    expect(preview.files[1].notes).toContain('no category column: every case is set to ES (emotional support)');
    expect(preview.total.messages).toBe(bundles.reduce((n, b) => n + b.messages.length, 0));
    expect(preview.total.cases).toBe(1);
    expect(preview.issues).toHaveLength(1);
    expect(preview.issues[0].file).toBe('broken.json');
  });

  it('with nothing parsed there is nothing to import', () => {
    expect(summarize([], [])).toMatchObject({ files: [], issues: [], bundleCount: 0, total: { people: 0, messages: 0 } });
  });
});
