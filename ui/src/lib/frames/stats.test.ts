import { describe, expect, it } from 'vitest';
import { FrameStats, median } from './stats';

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

  it('has a snapshot with the agreed fields', () => {
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
    });
  });

  it('median of even and empty lists', () => {
    expect(median([])).toBe(0);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
