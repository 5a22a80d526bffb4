// The accept window's countdown: seconds left until a request is denied automatically.

export interface Clock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** Whole seconds left before `deadlineMs` (rounded up, so "1" shows until the very end). */
export function secondsLeft(deadlineMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((deadlineMs - nowMs) / 1000));
}

export interface CountdownHandlers {
  onTick(secondsLeft: number): void;
  /** Called once, when the deadline passes (not when stopped first). */
  onExpire(): void;
}

/**
 * Tick every 250 ms until `deadlineMs`; calls `onTick` when the shown number changes and
 * `onExpire` once at zero. Returns a function that stops it.
 */
export function startCountdown(
  deadlineMs: number,
  handlers: CountdownHandlers,
  clock: Clock = systemClock,
): () => void {
  let last = -1;
  let done = false;
  let handle: unknown = null;
  const stop = () => {
    if (handle !== null) clock.clearInterval(handle);
    handle = null;
    done = true;
  };
  const tick = () => {
    if (done) return;
    const left = secondsLeft(deadlineMs, clock.now());
    if (left !== last) {
      last = left;
      handlers.onTick(left);
    }
    if (left === 0) {
      stop();
      handlers.onExpire();
    }
  };
  handle = clock.setInterval(tick, 250);
  tick();
  return stop;
}
