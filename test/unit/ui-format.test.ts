import { describe, expect, it } from 'vitest';
import { formatRate, localDateTime } from '../../src/ui/format.ts';

describe('localDateTime', () => {
  it('writes local year-month-day hours:minutes with zero padding', () => {
    expect(localDateTime(new Date(2026, 0, 5, 9, 7, 59).getTime())).toBe('2026-01-05 09:07');
    expect(localDateTime(new Date(1999, 11, 31, 23, 59).getTime())).toBe('1999-12-31 23:59');
  });
});

describe('formatRate', () => {
  it('gives tokens per second with two significant digits', () => {
    expect(formatRate(123.4)).toBe('120 tokens/s');
    expect(formatRate(25.46)).toBe('25 tokens/s');
    expect(formatRate(2.549)).toBe('2.5 tokens/s');
    expect(formatRate(1)).toBe('1 tokens/s');
  });

  it('gives seconds per token below one token a second, never "0.0 tokens/s"', () => {
    expect(formatRate(0.0625)).toBe('16 s per token');
    expect(formatRate(0.5)).toBe('2 s per token');
    expect(formatRate(0.0007)).toBe('1400 s per token');
    expect(formatRate(0)).toBe('no tokens yet');
  });
});
