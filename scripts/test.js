#!/usr/bin/env node
// The one test command: finds (or installs) Chromium, runs the unit tests, builds the app,
// runs the browser tests, and prints one closing line with the totals.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p) => p && existsSync(p));
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    console.log('Chromium not found: installing Debian\'s chromium with apt-get ...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = update.status === 0
      && spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    if (install && install.status === 0 && existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  }
  console.error(
    'Attune\'s browser tests need Chromium and none was found.\n' +
      '  Install it:  sudo apt-get install chromium   (Debian/Ubuntu)\n' +
      '  or point to one:  CHROMIUM_PATH=/path/to/chromium npm test',
  );
  process.exit(1);
}

function run(label, cmd, args, env) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

const chromium = findChromium();
mkdirSync('test-results', { recursive: true });
const env = { CHROMIUM_PATH: chromium };
const bin = 'node_modules/.bin/';

const unit = run('unit tests', bin + 'vitest', [
  'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json',
], env);
const build = run('build', bin + 'vite', ['build', '--logLevel', 'warn'], env);
const e2e = build === 0 ? run('browser tests', bin + 'playwright', ['test'], env) : 1;

// Totals across both runners; a runner that produced no report counts as a failure.
let passed = 0;
let failed = 0;
const v = readJson('test-results/vitest.json');
if (v) {
  passed += v.numPassedTests;
  failed += v.numFailedTests;
} else failed += 1;
const p = readJson('test-results/playwright.json');
if (p && build === 0) {
  passed += p.stats.expected + (p.stats.flaky ?? 0);
  failed += p.stats.unexpected;
} else failed += 1;
if (build !== 0) console.error('The build failed, so the browser tests did not run.');

const ok = unit === 0 && build === 0 && e2e === 0 && failed === 0;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
