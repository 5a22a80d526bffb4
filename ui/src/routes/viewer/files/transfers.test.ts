import { describe, expect, it } from 'vitest';
import type { TransferProgress } from '../../../lib/events';
import { applyProgress, localJoin, percent, remoteJoin, secondsLeft, type TransferRow } from './transfers';

const ev = (over: Partial<TransferProgress>): TransferProgress => ({
  session_id: 's1',
  id: 1,
  name: 'report.pdf',
  direction: 'upload',
  state: 'running',
  sent: 0,
  total: 1000,
  error: null,
  ...over,
});

describe('the list of copies', () => {
  it('adds a copy first, then follows it to its end with a rate and the time left', () => {
    let rows: TransferRow[] = [];
    rows = applyProgress(rows, ev({ id: 1 }), 0);
    rows = applyProgress(rows, ev({ id: 2, name: 'b' }), 10);
    expect(rows.map((r) => r.id)).toEqual([2, 1]);
    rows = applyProgress(rows, ev({ id: 1, sent: 500 }), 1000);
    const one = rows.find((r) => r.id === 1)!;
    expect(percent(one)).toBe(50);
    expect(one.rate).toBe(500);
    expect(secondsLeft(one)).toBe(1);
    rows = applyProgress(rows, ev({ id: 1, sent: 1000, state: 'done' }), 2000);
    const done = rows.find((r) => r.id === 1)!;
    expect(percent(done)).toBe(100);
    expect(secondsLeft(done)).toBeNull();
  });

  it('keeps the counts of a cancelled copy and the reason of a failed one', () => {
    let rows = applyProgress([], ev({ sent: 300 }), 0);
    rows = applyProgress(rows, ev({ state: 'cancelled', sent: 0, total: 0, name: '' }), 500);
    expect(rows[0]).toMatchObject({ state: 'cancelled', sent: 300, total: 1000, name: 'report.pdf' });
    rows = applyProgress(rows, ev({ id: 3, state: 'failed', error: 'no space left on the host' }), 600);
    expect(rows[0].error).toBe('no space left on the host');
    expect(percent(applyProgress([], ev({ total: 0 }), 0)[0])).toBe(0);
    // Progress that arrives after the end changes nothing.
    const late = applyProgress(rows, ev({ id: 1, state: 'running', sent: 900 }), 700);
    expect(late.find((r) => r.id === 1)).toMatchObject({ state: 'cancelled', sent: 300 });
  });

  it('joins folder and name on either side', () => {
    expect(remoteJoin('~', 'a')).toBe('~/a');
    expect(remoteJoin('~/docs', 'a')).toBe('~/docs/a');
    expect(remoteJoin('/', 'etc')).toBe('/etc');
    expect(localJoin('/home/me', 'x.txt')).toBe('/home/me/x.txt');
    expect(localJoin('/', 'tmp')).toBe('/tmp');
  });
});
