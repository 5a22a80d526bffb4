import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { secondsLeft, startCountdown } from './countdown';

describe('secondsLeft', () => {
  it('rounds up and never goes below zero', () => {
    expect(secondsLeft(10_000, 0)).toBe(10);
    expect(secondsLeft(10_000, 9_001)).toBe(1);
    expect(secondsLeft(10_000, 10_000)).toBe(0);
    expect(secondsLeft(10_000, 12_000)).toBe(0);
  });
});

describe('startCountdown', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('ticks down once per second and expires exactly once at zero', () => {
    const ticks: number[] = [];
    const onExpire = vi.fn();
    startCountdown(Date.now() + 3_000, { onTick: (s) => ticks.push(s), onExpire });
    expect(ticks).toEqual([3]);
    vi.advanceTimersByTime(1_000);
    expect(ticks).toEqual([3, 2]);
    vi.advanceTimersByTime(1_900);
    expect(ticks).toEqual([3, 2, 1]);
    expect(onExpire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    expect(ticks).toEqual([3, 2, 1, 0]);
    expect(onExpire).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5_000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('does not expire once stopped (the person answered)', () => {
    const onExpire = vi.fn();
    const stop = startCountdown(Date.now() + 2_000, { onTick: () => {}, onExpire });
    vi.advanceTimersByTime(1_000);
    stop();
    vi.advanceTimersByTime(5_000);
    expect(onExpire).not.toHaveBeenCalled();
  });

  it('expires at once for a request that is already overdue', () => {
    const onExpire = vi.fn();
    const ticks: number[] = [];
    startCountdown(Date.now() - 10, { onTick: (s) => ticks.push(s), onExpire });
    expect(ticks).toEqual([0]);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('follows the wall clock, not the number of ticks (a throttled timer cannot stretch it)', () => {
    const onExpire = vi.fn();
    const ticks: number[] = [];
    startCountdown(Date.now() + 60_000, { onTick: (s) => ticks.push(s), onExpire });
    vi.setSystemTime(Date.now() + 59_500);
    vi.advanceTimersByTime(250);
    expect(ticks.at(-1)).toBe(1);
    vi.advanceTimersByTime(250);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });
});
