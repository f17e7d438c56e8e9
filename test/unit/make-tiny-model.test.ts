// The generated test model is deterministic and its tokenizer round-trips text; the adapter's
// streaming decoder, driven by that tokenizer.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { makeTinyModel } from '../../scripts/make-tiny-model.ts';
import { TokenStreamer } from '../../src/llm/transformers.ts';

const root = mkdtempSync(join(tmpdir(), 'attune-make-tiny-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('make-tiny-model', () => {
  it('writes byte-identical files on every run', () => {
    const files = ['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
    const a = makeTinyModel(join(root, 'a'));
    const b = makeTinyModel(join(root, 'b'));
    for (const f of files) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'llama', max_position_embeddings: 2048 });
    expect(config.vocab_size).toBeGreaterThan(256);
    expect(config.vocab_size).toBeLessThan(400);
  });

  it('has a byte-level BPE tokenizer that round-trips any text, and a chat template', async () => {
    makeTinyModel(join(root, 'tok'));
    env.allowRemoteModels = false;
    env.localModelPath = `${root}/`;
    const tokenizer = await AutoTokenizer.from_pretrained('tok');
    for (const text of ['How do you feel?', 'Ünïcödé 💬 and tabs\t\n']) {
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.encode(' you feel', { add_special_tokens: false })).toHaveLength(2);
    const prompt = tokenizer.apply_chat_template([{ role: 'user', content: 'hi' }], { tokenize: false, add_generation_prompt: true });
    expect(prompt).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  });
});

describe('TokenStreamer (the adapter streaming decoder)', () => {
  it('streams pieces that join to the text, never splitting a UTF-8 character, across newlines', async () => {
    makeTinyModel(join(root, 'stream'));
    env.allowRemoteModels = false;
    env.localModelPath = `${root}/`;
    const tokenizer = await AutoTokenizer.from_pretrained('stream');
    const text = 'line one\nÜber 💬 two\n\nend';
    const ids = tokenizer.encode(text, { add_special_tokens: false }).map(BigInt);
    const deltas: string[] = [];
    const streamer = new TokenStreamer(tokenizer, (d) => deltas.push(d));
    streamer.put([[1n, 2n]]); // the prompt, skipped
    for (const id of ids) streamer.put([[id]]);
    streamer.end();
    expect(deltas.join('')).toBe(text);
    expect(streamer.text).toBe(text);
    expect(deltas.some((d) => d.includes('\uFFFD'))).toBe(false);
    expect(deltas.length).toBeGreaterThan(10);
    expect(streamer.tokens).toHaveLength(ids.length);
  });
});
