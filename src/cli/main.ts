// `attune <command> ...`: the headless entry. Each command lives in its own module.
const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  import: () => import('./import.ts'),
  evaluate: () => import('./evaluate.ts'),
  compare: () => import('./compare.ts'),
};

const usage = `Usage: attune <command> [options]

Commands:
  import FILE... [--dry-run] [--json]   read chat exports and data sets
  evaluate --data FILE ...              score candidate replies (see attune evaluate --help)
  compare --protocols A,B --data FILE ...   run two protocols on the same data and compare them
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`attune: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  return (await load()).run(rest);
}
