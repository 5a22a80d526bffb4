// Frame statistics for the benchmark: frames drawn, frames per second over the last second,
// and time from a message's arrival to its draw completing (last and median of the recent ones).

export interface FrameStatsSnapshot {
  frames: number;
  fps: number;
  lastDrawMs: number;
  medianDrawMs: number;
  /** Which renderer draws ("webgl" or "2d"); an addition to the four agreed fields. */
  renderer: string;
  /** Messages that failed to parse (never drawn). */
  badFrames: number;
}

const WINDOW = 120;

export class FrameStats {
  frames = 0;
  badFrames = 0;
  lastDrawMs = 0;
  renderer = 'none';
  private drawTimes: number[] = [];
  private drawnAt: number[] = [];

  /** One frame drawn: it arrived at `arrivedMs` and its draw completed at `doneMs`. */
  record(arrivedMs: number, doneMs: number): void {
    this.frames++;
    this.lastDrawMs = Math.max(0, doneMs - arrivedMs);
    this.drawTimes.push(this.lastDrawMs);
    if (this.drawTimes.length > WINDOW) this.drawTimes.shift();
    this.drawnAt.push(doneMs);
    while (this.drawnAt.length && this.drawnAt[0] <= doneMs - 1000) this.drawnAt.shift();
  }

  /** Frames drawn during the second before `nowMs`. */
  fps(nowMs: number): number {
    while (this.drawnAt.length && this.drawnAt[0] <= nowMs - 1000) this.drawnAt.shift();
    return this.drawnAt.length;
  }

  median(): number {
    return median(this.drawTimes);
  }

  snapshot(nowMs: number): FrameStatsSnapshot {
    return {
      frames: this.frames,
      fps: this.fps(nowMs),
      lastDrawMs: round2(this.lastDrawMs),
      medianDrawMs: round2(this.median()),
      renderer: this.renderer,
      badFrames: this.badFrames,
    };
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
