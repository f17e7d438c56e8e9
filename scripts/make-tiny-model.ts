// Generates a tiny random-weight decoder-only "llama" model that Transformers.js loads like a
// real one: onnx/model.onnx (fp32, built with onnx-proto, no attention: a smoke model that
// exercises loading, the KV-cache plumbing, streaming, cancellation and failures, not
// quality), config.json, generation_config.json, a hand-written byte-level BPE tokenizer.json
// and tokenizer_config.json with a chat template. Deterministic (fixed PRNG seed) and fast.
//   npx tsx scripts/make-tiny-model.ts [outDir]
// (no outDir: test/.generated/tiny-llama plus tiny-llama-no-weights, the missing-file case)
import { mkdirSync, writeFileSync, readFileSync, existsSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as typeof import('onnx-proto');

export const TINY_MODEL_DIR = 'test/.generated/tiny-llama';

const HIDDEN = 32;
const LAYERS = 2;
const HEADS = 4;
const KV_HEADS = 2;
const HEAD_DIM = HIDDEN / HEADS;
const MAX_POSITIONS = 2048;
/** Bump when the generated files change, so stale copies are rebuilt. */
const GENERATOR_VERSION = 2;

// Merges in priority order; each joins two tokens that already exist. "Ġ" is the byte-level
// stand-in for a space.
const MERGES: [string, string][] = [
  ['Ġ', 't'], ['Ġ', 'a'], ['h', 'e'], ['i', 'n'], ['r', 'e'], ['o', 'n'], ['Ġt', 'he'], ['e', 'r'],
  ['Ġ', 's'], ['a', 't'], ['e', 'n'], ['o', 'u'], ['Ġ', 'w'], ['i', 's'], ['Ġ', 'o'], ['a', 'n'],
  ['Ġ', 'c'], ['e', 's'], ['o', 'r'], ['Ġ', 'b'], ['Ġ', 'f'], ['Ġ', 'm'], ['i', 't'], ['Ġ', 'p'],
  ['l', 'e'], ['a', 'r'], ['Ġ', 'd'], ['Ġ', 'h'], ['Ġ', 'i'], ['Ġ', 'y'], ['Ġy', 'ou'], ['in', 'g'],
  ['Ġ', 'I'], ['e', 'l'], ['Ġf', 'e'], ['Ġfe', 'el'],
];
const SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

// GPT-2's byte → printable character table, used by every byte-level BPE.
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  }
  return table;
}

function buildVocab() {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, i) => (vocab[ch] = i));
  let next = 256;
  for (const [a, b] of MERGES) {
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b} uses an unknown token`);
    if (!(a + b in vocab)) vocab[a + b] = next++;
  }
  const specialIds = Object.fromEntries(SPECIAL.map((s, i) => [s, next + i])) as Record<string, number>;
  return { vocab, specialIds, size: next + SPECIAL.length };
}

// mulberry32: small, fast, and the same numbers on every machine.
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildOnnx(vocabSize: number, eosId: number): Uint8Array {
  const rand = prng(20261125);
  const T = onnx.TensorProto.DataType;
  const initializers: import('onnx-proto').onnx.ITensorProto[] = [];
  const weight = (name: string, dims: number[], scale: number, fill?: (i: number) => number) => {
    const n = dims.reduce((x, y) => x * y, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = fill ? fill(i) : (rand() * 2 - 1) * scale;
    initializers.push({ name, dims, dataType: T.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  const int64 = (name: string, values: number[]) => {
    const data = new BigInt64Array(values.map(BigInt));
    initializers.push({ name, dims: [values.length], dataType: T.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  const nodes: import('onnx-proto').onnx.INodeProto[] = [];
  const node = (opType: string, input: string[], output: string, attribute: import('onnx-proto').onnx.IAttributeProto[] = []) => {
    nodes.push({ opType, input, output: [output], name: output + '_' + opType, attribute });
    return output;
  };
  const ints = (name: string, values: number[]) => ({ name, ints: values, type: onnx.AttributeProto.AttributeType.INTS });
  const int = (name: string, value: number) => ({ name, i: value, type: onnx.AttributeProto.AttributeType.INT });

  const dim = (d: string | number) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const value = (name: string, elemType: number, shape: (string | number)[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: shape.map(dim) } } },
  });

  const inputs = [
    value('input_ids', T.INT64, ['batch_size', 'sequence_length']),
    value('attention_mask', T.INT64, ['batch_size', 'total_sequence_length']),
    value('position_ids', T.INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [value('logits', T.FLOAT, ['batch_size', 'sequence_length', vocabSize])];

  const tok = node('Gather', [weight('embed', [vocabSize, HIDDEN], 1), 'input_ids'], 'tok', [int('axis', 0)]);
  const pos = node('Gather', [weight('pos_embed', [MAX_POSITIONS, HIDDEN], 0.3), 'position_ids'], 'pos', [int('axis', 0)]);
  let h = node('Add', [tok, pos], 'h0');
  const splitHeads = int64('split_heads', [0, 0, KV_HEADS, HEAD_DIM]);
  const flatContext = int64('flat_context', [0, 1, -1]);
  for (let i = 0; i < LAYERS; i++) {
    for (const kind of ['key', 'value'] as const) {
      const past = `past_key_values.${i}.${kind}`;
      inputs.push(value(past, T.FLOAT, ['batch_size', KV_HEADS, 'past_sequence_length', HEAD_DIM]));
      outputs.push(value(`present.${i}.${kind}`, T.FLOAT, ['batch_size', KV_HEADS, 'total_sequence_length', HEAD_DIM]));
      const projected = node('MatMul', [h, weight(`w_${kind}_${i}`, [HIDDEN, KV_HEADS * HEAD_DIM], 0.5)], `${kind}_${i}`);
      const heads = node('Reshape', [projected, splitHeads], `${kind}_heads_${i}`);
      const transposed = node('Transpose', [heads], `${kind}_t_${i}`, [ints('perm', [0, 2, 1, 3])]);
      node('Concat', [past, transposed], `present.${i}.${kind}`, [int('axis', 2)]);
    }
    // Stand-in for attention: the mean of all cached values, so the output depends on history.
    const mean = node('ReduceMean', [`present.${i}.value`], `ctx_${i}`, [ints('axes', [2]), int('keepdims', 0)]);
    const flat = node('Reshape', [mean, flatContext], `ctx_flat_${i}`);
    const mixed = node('MatMul', [flat, weight(`w_ctx_${i}`, [KV_HEADS * HEAD_DIM, HIDDEN], 0.5)], `ctx_proj_${i}`);
    const ff = node('Tanh', [node('MatMul', [h, weight(`w_ff_${i}`, [HIDDEN, HIDDEN], 0.4)], `ff_in_${i}`)], `ff_${i}`);
    h = node('Add', [node('Add', [h, ff], `h_ff_${i}`), mixed], `h${i + 1}`);
  }
  // Special tokens are pushed down so short runs rarely stop early, and bytes that are not
  // printable ASCII are pushed down so the (meaningless) output streams as readable text.
  const special = (j: number) => j === eosId || j >= vocabSize - SPECIAL.length;
  const printable = (j: number) => j >= 256 || (j >= 32 && j <= 126);
  const bias = weight('lm_bias', [vocabSize], 0, (j) => (special(j) ? -20 : printable(j) ? 0 : -8));
  node('Add', [node('MatMul', [h, weight('lm_head', [HIDDEN, vocabSize], 0.6)], 'lm_raw'), bias], 'logits');

  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    producerName: 'attune-make-tiny-model',
    graph: { name: 'tiny_llama', node: nodes, initializer: initializers, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}

export function makeTinyModel(outDir = TINY_MODEL_DIR): string {
  const dir = resolve(outDir);
  const stamp = join(dir, '.generator-version');
  const upToDate = existsSync(stamp) && readFileSync(stamp, 'utf8') === String(GENERATOR_VERSION);
  if (upToDate && existsSync(join(dir, 'onnx', 'model.onnx'))) return dir;

  const { vocab, specialIds, size } = buildVocab();
  const eos = specialIds['<|im_end|>'];
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), buildOnnx(size, eos));
  const json = (name: string, data: unknown) => writeFileSync(join(dir, name), JSON.stringify(data, null, 2) + '\n');
  json('config.json', {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: size,
    hidden_size: HIDDEN,
    intermediate_size: HIDDEN * 2,
    num_hidden_layers: LAYERS,
    num_attention_heads: HEADS,
    num_key_value_heads: KV_HEADS,
    head_dim: HEAD_DIM,
    max_position_embeddings: MAX_POSITIONS,
    bos_token_id: specialIds['<|endoftext|>'],
    eos_token_id: eos,
    pad_token_id: specialIds['<|endoftext|>'],
    tie_word_embeddings: false,
    torch_dtype: 'float32',
  });
  json('generation_config.json', { bos_token_id: specialIds['<|endoftext|>'], eos_token_id: eos, do_sample: false });
  json('tokenizer.json', {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: specialIds[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: { ...vocab, ...specialIds },
      merges: MERGES.map(([a, b]) => `${a} ${b}`),
    },
  });
  json('tokenizer_config.json', {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    add_bos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: MAX_POSITIONS,
    chat_template:
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  });
  writeFileSync(stamp, String(GENERATOR_VERSION));
  return dir;
}

/** Same files minus the weights: what a half-copied model folder looks like. */
export const NO_WEIGHTS_MODEL_DIR = 'test/.generated/tiny-llama-no-weights';

/** Both test models; called by the test runners' global setup. */
export function makeTestModels(): void {
  const complete = makeTinyModel(TINY_MODEL_DIR);
  const broken = resolve(NO_WEIGHTS_MODEL_DIR);
  mkdirSync(broken, { recursive: true });
  for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    copyFileSync(join(complete, name), join(broken, name));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  if (process.argv[2]) makeTinyModel(process.argv[2]);
  else makeTestModels();
  console.log(`tiny model(s) written (${Math.round(performance.now() - t0)} ms)`);
}
