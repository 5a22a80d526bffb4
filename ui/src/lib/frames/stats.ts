// Frame statistics for the benchmark: frames drawn, frames per second over the last second,
// time from a message's arrival to its draw completing (last and median of the recent ones),
// and the latency from the frame's publication (its `sent` stamp) to its draw completing.

export interface FrameStatsSnapshot {
  frames: number;
  fps: number;
  lastDrawMs: number;
  medianDrawMs: number;
  /** Which renderer draws ("webgl" or "2d"); an addition to the four agreed fields. */
  renderer: string;
  /** Messages that failed to parse (never drawn). */
  badFrames: number;
  /**
   * Publish-to-drawn latency (wall clock, ms), median and 95th percentile over the recent
   * frames that carried a publish time; null while none did.
   */
  medianLatencyMs: number | null;
  p95LatencyMs: number | null;
}

/** One drawn frame, for a benchmark that collects every frame of a run (see `samplesSince`). */
export interface FrameSample {
  /** 1 for the first frame drawn, then counting up (the same count as `frames`). */
  frame: number;
  /** When its draw completed (performance.now()). */
  doneMs: number;
  /** Arrival to draw completed. */
  drawMs: number;
  /** Publication to draw completed; null when the frame had no publish time or it was noise. */
  latencyMs: number | null;
}

const WINDOW = 120;
/** Per-frame samples kept for `samplesSince`: 8 s at 60 fps between two polls. */
const SAMPLES = 512;
/** Latencies above this are clock noise (a stamp from another clock, a clock step), not latency. */
export const MAX_LATENCY_MS = 60_000;

/**
 * Milliseconds from `sentMs` (low 32 bits of Unix ms; 0: unknown) to `nowMs` (Unix ms),
 * modulo 2^32; null when unknown or above MAX_LATENCY_MS (which includes a stamp in the future).
 */
export function latencyMs(sentMs: number, nowMs: number): number | null {
  if (!sentMs) return null;
  const l = ((nowMs >>> 0) - (sentMs >>> 0)) >>> 0;
  return l > MAX_LATENCY_MS ? null : l;
}

export class FrameStats {
  frames = 0;
  badFrames = 0;
  lastDrawMs = 0;
  renderer = 'none';
  private drawTimes: number[] = [];
  private latencies: number[] = [];
  private drawnAt: number[] = [];
  private samples: FrameSample[] = [];

  /**
   * One frame drawn: it arrived at `arrivedMs` and its draw completed at `doneMs` (both
   * performance.now()); it was published at `sentMs` (low 32 bits of Unix ms, 0: unknown),
   * and `wallMs` is the Unix time in ms at draw completion.
   */
  record(arrivedMs: number, doneMs: number, sentMs = 0, wallMs = Date.now()): void {
    this.frames++;
    this.lastDrawMs = Math.max(0, doneMs - arrivedMs);
    this.drawTimes.push(this.lastDrawMs);
    if (this.drawTimes.length > WINDOW) this.drawTimes.shift();
    const latency = latencyMs(sentMs, wallMs);
    if (latency !== null) {
      this.latencies.push(latency);
      if (this.latencies.length > WINDOW) this.latencies.shift();
    }
    this.samples.push({ frame: this.frames, doneMs, drawMs: this.lastDrawMs, latencyMs: latency });
    if (this.samples.length > SAMPLES) this.samples.shift();
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

  /** The samples of the frames after frame number `frame` still kept (the last 512 frames). */
  samplesSince(frame: number): FrameSample[] {
    const first = this.frames - this.samples.length + 1;
    return this.samples.slice(Math.max(0, frame + 1 - first)).map((s) => ({ ...s }));
  }

  snapshot(nowMs: number): FrameStatsSnapshot {
    const l = this.latencies;
    return {
      frames: this.frames,
      fps: this.fps(nowMs),
      lastDrawMs: round2(this.lastDrawMs),
      medianDrawMs: round2(this.median()),
      renderer: this.renderer,
      badFrames: this.badFrames,
      medianLatencyMs: l.length ? round2(median(l)) : null,
      p95LatencyMs: l.length ? round2(percentile(l, 95)) : null,
    };
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (`p` in 0..100): the smallest value with p% of the values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1];
}

const round2 = (x: number) => Math.round(x * 100) / 100;
