import { describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import type { RequestInfo } from '../api';
import { createRequestsStore } from './requests';

const req = (id: string, expires: number): RequestInfo => ({
  id,
  viewer: 'ABCD-EFGH-IJKL-MNOP',
  viewer_name: 'Alice',
  seen: 'first_request',
  profile: 'default',
  addr: '127.0.0.1:5000',
  expires_in_s: expires,
  permissions: ['control_input'],
});

describe('requests store', () => {
  it('fixes each deadline when first seen and never moves it later', async () => {
    let now = 1_000;
    let push!: (r: RequestInfo[]) => void;
    const store = createRequestsStore({
      load: async () => [req('1', 60)],
      listen: async (cb) => {
        push = cb;
        return () => {};
      },
      listenStatus: async () => () => {},
      now: () => now,
    });
    await store.start();
    expect(get(store).requests[0].deadline).toBe(61_000);
    now = 11_000;
    push([req('1', 60), req('2', 30)]); // a backend repeating a stale 60 must not extend it
    expect(get(store).requests.map((r) => r.deadline)).toEqual([61_000, 41_000]);
    store.remove('1');
    expect(get(store).requests.map((r) => r.info.id)).toEqual(['2']);
    push([req('1', 50), req('2', 29)]); // answered locally: stays hidden
    expect(get(store).requests.map((r) => r.info.id)).toEqual(['2']);
    push([]);
    expect(get(store).requests).toEqual([]);
  });

  it('reloads when the status changes', async () => {
    let list = [req('1', 60)];
    let statusChanged!: () => void;
    const store = createRequestsStore({
      load: async () => list,
      listen: async () => () => {},
      listenStatus: async (cb) => {
        statusChanged = cb;
        return () => {};
      },
      now: () => 0,
    });
    await store.start();
    list = [];
    statusChanged();
    await new Promise((r) => setTimeout(r, 0));
    expect(get(store).requests).toEqual([]);
  });
});
