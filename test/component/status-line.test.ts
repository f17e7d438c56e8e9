import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusLine, STATUS_LINGER_MS } from '../../src/services/status-line.svelte.ts';

describe('StatusLine', () => {
  afterEach(() => vi.useRealTimers());

  it('clears a finished outcome after a while, and keeps work in progress or a failure', () => {
    vi.useFakeTimers();
    const line = new StatusLine();
    line.done('Saved attune-backup.json.');
    vi.advanceTimersByTime(STATUS_LINGER_MS - 1);
    expect(line.text).toBe('Saved attune-backup.json.');
    vi.advanceTimersByTime(1);
    expect(line.text).toBeNull();

    line.hold('Restoring…');
    vi.advanceTimersByTime(STATUS_LINGER_MS * 5);
    expect(line.text).toBe('Restoring…');
  });

  it('gives a new line its full time: an earlier timer does not clear it', () => {
    vi.useFakeTimers();
    const line = new StatusLine();
    line.done('Renamed to Ada.');
    vi.advanceTimersByTime(STATUS_LINGER_MS - 10);
    line.done('Deleted Ada and everything that belonged to them.');
    vi.advanceTimersByTime(20);
    expect(line.text).toBe('Deleted Ada and everything that belonged to them.');
  });
});
