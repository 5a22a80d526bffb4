import { describe, expect, it } from 'vitest';
import { FrameStats, latencyMs, MAX_LATENCY_MS, median, percentile } from './stats';

describe('FrameStats', () => {
  it('counts frames, draw times and the median', () => {
    const s = new FrameStats();
    s.record(0, 4);
    s.record(10, 12);
    s.record(20, 29);
    expect(s.frames).toBe(3);
    expect(s.lastDrawMs).toBe(9);
    expect(s.median()).toBe(4);
  });

  it('reports frames drawn in the last second', () => {
    const s = new FrameStats();
    for (let t = 0; t < 2000; t += 40) s.record(t, t + 1);
    expect(s.fps(2000)).toBe(25);
    expect(s.fps(5000)).toBe(0);
  });

  it('has a snapshot with the agreed fields, latency null without publish times', () => {
    const s = new FrameStats();
    s.renderer = 'webgl';
    s.record(1, 2.3456);
    expect(s.snapshot(3)).toEqual({
      frames: 1,
      fps: 1,
      lastDrawMs: 1.35,
      medianDrawMs: 1.35,
      renderer: 'webgl',
      badFrames: 0,
      medianLatencyMs: null,
      p95LatencyMs: null,
    });
  });

  it('records publish-to-drawn latency: median and p95 over the recent frames', () => {
    const s = new FrameStats();
    const wall = 1_767_225_600_000; // Unix ms, beyond 2^32
    // 100 frames published 1..100 ms before their draw completed.
    for (let i = 1; i <= 100; i++) s.record(0, 1, (wall - i) >>> 0, wall);
    const snap = s.snapshot(1);
    expect(snap.medianLatencyMs).toBe(50.5);
    expect(snap.p95LatencyMs).toBe(95);
    // Frames without a publish time do not count; the window is the last 120 that had one.
    for (let i = 0; i < 50; i++) s.record(0, 1, 0, wall);
    expect(s.snapshot(1).medianLatencyMs).toBe(50.5);
    for (let i = 0; i < 120; i++) s.record(0, 1, (wall - 7) >>> 0, wall);
    expect(s.snapshot(1)).toMatchObject({ medianLatencyMs: 7, p95LatencyMs: 7, frames: 270 });
  });

  it('keeps per-frame samples for a benchmark to collect', () => {
    const s = new FrameStats();
    const wall = 5000;
    s.record(0, 2, 4990, wall);
    s.record(10, 13, 0, wall);
    s.record(20, 24, 4000, wall); // 1000 ms: slow but plausible
    expect(s.samplesSince(0)).toEqual([
      { frame: 1, doneMs: 2, drawMs: 2, latencyMs: 10 },
      { frame: 2, doneMs: 13, drawMs: 3, latencyMs: null },
      { frame: 3, doneMs: 24, drawMs: 4, latencyMs: 1000 },
    ]);
    expect(s.samplesSince(2).map((x) => x.frame)).toEqual([3]);
    expect(s.samplesSince(3)).toEqual([]);
    // Only the last 512 are kept.
    for (let i = 0; i < 1000; i++) s.record(0, 1);
    const all = s.samplesSince(0);
    expect(all.length).toBe(512);
    expect(all[0].frame).toBe(1003 - 511);
    expect(all.at(-1)!.frame).toBe(1003);
    expect(s.samplesSince(1000).map((x) => x.frame)).toEqual([1001, 1002, 1003]);
  });

  it('median of even and empty lists', () => {
    expect(median([])).toBe(0);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([], 95)).toBe(0);
    expect(percentile([3], 95)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 0)).toBe(1);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 100)).toBe(100);
  });
});

describe('latencyMs', () => {
  it('is the difference modulo 2^32 of the low 32 bits of Unix ms', () => {
    const now = 1_767_225_600_250;
    expect(latencyMs((now - 250) >>> 0, now)).toBe(250);
    expect(latencyMs(now >>> 0, now)).toBe(0);
    // Across the wrap of the low 32 bits (every ~49.7 days).
    const justWrapped = 2 ** 32 * 411 + 3;
    expect(latencyMs((justWrapped - 10) >>> 0, justWrapped)).toBe(10);
    expect((justWrapped - 10) >>> 0).toBeGreaterThan(justWrapped >>> 0);
  });

  it('ignores unknown stamps and clock noise', () => {
    const now = 1_767_225_600_250;
    expect(latencyMs(0, now)).toBeNull();
    expect(latencyMs((now - MAX_LATENCY_MS) >>> 0, now)).toBe(MAX_LATENCY_MS);
    expect(latencyMs((now - MAX_LATENCY_MS - 1) >>> 0, now)).toBeNull();
    // A stamp 2 ms in the future wraps to ~2^32: noise, not latency.
    expect(latencyMs((now + 2) >>> 0, now)).toBeNull();
  });
});
