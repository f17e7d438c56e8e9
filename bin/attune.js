#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so the Node CLI and the browser share one source.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
