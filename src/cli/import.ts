// `attune import FILE... --dry-run [--json] [--out FILE] [--max-mb N]`: reads files with the
// same importers as the app and reports what they hold. Node has no store (the store lives in
// the browser's IndexedDB), so nothing is imported here: --dry-run is required, and --out
// writes the parsed records as JSON for inspection.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { countBundle } from '../domain/bundle.ts';
import { ImportError, type ImportIssue } from '../import/issues.ts';
import { DEFAULT_MAX_BYTES, parseFiles, type InputFile } from '../import/index.ts';
import { summarize } from '../import/preview.ts';
import { checkSize } from '../import/text.ts';

const help = `Usage: attune import FILE... --dry-run [--json] [--out FILE] [--max-mb N]

Detects each file's format (ChatGPT/Claude export .zip or conversations.json, ShareGPT,
OpenAI chat JSONL, PersonaEmp sessions + predictions + criteria, CSV of cases, User:/Assistant: text)
and prints what it holds. Node has no store: import into the app from its Library screen.

  --dry-run    required: parse and report only
  --json       print one JSON object {format, people, conversations, messages, memories,
               personas, cases, candidates, criteria, files, notes, errors}; "format" is the detected
               format, "mixed" when files differ (see "files"), null when none could be read
  --out FILE   also write the parsed records (bundles and issues) as JSON to FILE
  --max-mb N   largest file accepted, in MB (default ${DEFAULT_MAX_BYTES / 1024 ** 2})
Exit code: 0 when every file was read, 1 when any failed, 2 on wrong usage.
`;

export async function run(argv: string[]): Promise<number> {
  const paths: string[] = [];
  let dryRun = false;
  let json = false;
  let out: string | undefined;
  let maxBytes = DEFAULT_MAX_BYTES;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') { process.stdout.write(help); return 0; }
    else if (arg === '--dry-run') dryRun = true;
    else if (arg === '--json') json = true;
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--max-mb') {
      const mb = Number(argv[++i]);
      if (!Number.isFinite(mb) || mb <= 0) return usage(`--max-mb expects a positive number, found ${JSON.stringify(argv[i])}`);
      maxBytes = Math.floor(mb * 1024 ** 2);
    } else if (arg.startsWith('--')) return usage(`unknown option ${arg}`);
    else paths.push(arg);
  }
  if (paths.length === 0) return usage('no FILE given');
  if (out === undefined && argv.includes('--out')) return usage('--out expects a file name');
  if (!dryRun) {
    return usage('Node has no store, so nothing can be imported here; add --dry-run to check the files '
      + '(and --out FILE to save the parsed records), then import them in the app\'s Library screen');
  }

  const inputs: InputFile[] = [];
  const readErrors: ImportIssue[] = [];
  for (const path of paths) {
    try {
      checkSize(path, (await stat(path)).size, maxBytes);
      inputs.push({ name: path, bytes: await readFile(path) }); // a Buffer is a Uint8Array: no copy
    } catch (error) {
      readErrors.push(error instanceof ImportError ? error.issue : { file: path, where: 'file', message: `cannot be read: ${(error as Error).message}` });
    }
  }
  const result = await parseFiles(inputs, { maxBytes });
  const errors = [...readErrors, ...result.issues];
  const formats = [...new Set(result.bundles.map((b) => b.format))];
  const report = {
    format: formats.length === 0 ? null : formats.length === 1 ? formats[0] : 'mixed',
    ...summarize(result.bundles, errors).total,
    files: result.bundles.map((b) => ({ file: b.file, format: b.format, ...countBundle(b) })),
    notes: result.bundles.flatMap((b) => (b.notes ?? []).map((note) => ({ file: b.file, note }))),
    errors,
  };
  if (out) await writeFile(out, JSON.stringify({ bundles: result.bundles, issues: errors }));
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const f of report.files) {
      process.stdout.write(`${f.file}: ${f.format}: ${f.people} people, ${f.conversations} conversations, ${f.messages} messages, `
        + `${f.memories} memories, ${f.cases} cases, ${f.candidates} candidates${f.criteria ? `, criteria for ${f.criteria} cases` : ''}\n`);
    }
    for (const n of report.notes) process.stdout.write(`${n.file}: note: ${n.note}\n`);
    for (const e of errors) process.stderr.write(`${e.file} (${e.where}): ${e.message}\n`);
    process.stdout.write(`dry run: nothing was imported (Node has no store)\n`);
  }
  return errors.length > 0 ? 1 : 0;
}

function usage(message: string): number {
  process.stderr.write(`attune import: ${message}\n\n${help}`);
  return 2;
}
