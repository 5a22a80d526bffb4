// Run the last call after a quiet period (the strength check waits ~150 ms after typing).

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  cancel(): void;
  /** Whether a call is waiting. */
  pending(): boolean;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = (...args: A) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  run.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  run.pending = () => timer !== null;
  return run;
}
