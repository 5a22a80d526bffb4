// The file window's list of copies, kept from the `file_transfer` events: what each copy is,
// how far it got, its rate and time left, and why it failed. Pure, so it is unit-tested.
import type { TransferProgress } from '../../../lib/events';

/** Which pane. */
export type Side = 'local' | 'remote';
/** The data type a row dragged from one pane to the other carries. */
export const DRAG_TYPE = 'application/x-latchkey-files';

export type TransferRow = {
  id: number;
  name: string;
  direction: TransferProgress['direction'];
  state: TransferProgress['state'];
  sent: number;
  total: number;
  error: string | null;
  /** When it started and when it last moved (ms, performance.now()). */
  startedAt: number;
  updatedAt: number;
  /** Bytes per second over the copy so far (null until it has moved). */
  rate: number | null;
};

/** The list after one event; `now` is the time it arrived. New copies go first. */
export function applyProgress(rows: TransferRow[], p: TransferProgress, now: number): TransferRow[] {
  const i = rows.findIndex((r) => r.id === p.id);
  const before = i >= 0 ? rows[i] : null;
  // A copy that ended stays ended: progress sent just before a cancel can
  // arrive after it (the copy and the cancel report on their own).
  if (before && before.state !== 'running') return rows;
  const startedAt = before?.startedAt ?? now;
  const elapsed = (now - startedAt) / 1000;
  const row: TransferRow = {
    id: p.id,
    name: p.name || before?.name || '',
    direction: p.direction,
    state: p.state,
    // A cancellation carries no counts: keep the last ones.
    sent: p.state === 'cancelled' ? (before?.sent ?? 0) : p.sent,
    total: p.state === 'cancelled' ? (before?.total ?? 0) : p.total,
    error: p.error ?? null,
    startedAt,
    updatedAt: now,
    rate: elapsed > 0.2 && p.sent > 0 ? p.sent / elapsed : (before?.rate ?? null),
  };
  if (i < 0) return [row, ...rows];
  const next = rows.slice();
  next[i] = row;
  return next;
}

/** Seconds left at the current rate, or null when unknown. */
export function secondsLeft(r: TransferRow): number | null {
  if (r.state !== 'running' || !r.rate || r.total <= 0) return null;
  return Math.max(0, (r.total - r.sent) / r.rate);
}

/** Percent done, 0-100 (0 until the total is known). */
export function percent(r: TransferRow): number {
  if (r.state === 'done') return 100;
  return r.total > 0 ? Math.min(100, Math.floor((r.sent / r.total) * 100)) : 0;
}

/** The path of `name` inside the host folder `dir` (`~` + `a` -> `~/a`, `/` + `a` -> `/a`). */
export function remoteJoin(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** The path of `name` inside the local folder `dir`. */
export function localJoin(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
