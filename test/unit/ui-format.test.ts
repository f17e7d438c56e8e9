import { describe, expect, it } from 'vitest';
import { localDateTime } from '../../src/ui/format.ts';

describe('localDateTime', () => {
  it('writes local year-month-day hours:minutes with zero padding', () => {
    expect(localDateTime(new Date(2026, 0, 5, 9, 7, 59).getTime())).toBe('2026-01-05 09:07');
    expect(localDateTime(new Date(1999, 11, 31, 23, 59).getTime())).toBe('1999-12-31 23:59');
  });
});
