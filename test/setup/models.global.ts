// Global setup for vitest (node project) and Playwright: writes the tiny random-weight test
// models into test/.generated/ (fast; skipped when an up-to-date copy is there).
import { makeTestModels } from '../../scripts/make-tiny-model.ts';

export default function setup(): void {
  makeTestModels();
}
