import { describe, expect, it } from 'vitest';
import { MAX_STROKE_POINTS, MIN_STEP, PEN_COLORS, Stroke } from './stroke';

describe('pen strokes', () => {
  it('keeps points that moved, and makes a dot of a click', () => {
    const s = new Stroke();
    expect(s.finish()).toBeNull();
    s.add({ x: 10, y: 10 });
    expect(s.finish()).toEqual([
      [10, 10],
      [10, 10],
    ]);
    s.add({ x: 10 + MIN_STEP - 1, y: 10 });
    s.add({ x: 20, y: 10 });
    s.add({ x: 20, y: 30 });
    expect(s.finish()).toEqual([
      [10, 10],
      [20, 10],
      [20, 30],
    ]);
  });

  it('stops at the host’s limit, the last point following the pen', () => {
    const s = new Stroke();
    for (let i = 0; i < MAX_STROKE_POINTS; i++) expect(s.add({ x: i * 10, y: 0 })).toBe(true);
    expect(s.add({ x: 99999, y: 7 })).toBe(false);
    expect(s.points.length).toBe(MAX_STROKE_POINTS);
    expect(s.points.at(-1)).toEqual([99999, 7]);
  });

  it('offers only colours the host knows by name', () => {
    expect(PEN_COLORS.map((c) => c.name)).toEqual(['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'black', 'white']);
  });
});
