import { afterEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { AppStatus } from '../api';
import { createStatusStore } from './status';
import { onStatusChanged } from '../events';

function status(over: Partial<AppStatus> = {}): AppStatus {
  return {
    device_id: '123456789',
    fingerprint: 'ABCD-EFGH-IJKL-MNOP',
    online: 'online',
    offline_reason: null,
    rendezvous: 'rv.example',
    host_mode: 'in_app',
    access: 'attended',
    interactive: 'always',
    save_login: false,
    two_factor: { enabled: false, pending: false, apply_to_tokens: true, apply_to_reconnect: true, recovery_codes_left: 0 },
    default_profile: 'default',
    tokens: 0,
    profiles: [],
    secret_store: 'keyring',
    config_dir: '/tmp/lk',
    ...over,
  };
}

afterEach(() => clearMocks());

describe('status store', () => {
  it('loads, then takes every status_changed payload', async () => {
    let push!: (s: AppStatus) => void;
    const store = createStatusStore({
      load: async () => status(),
      listen: async (cb) => {
        push = cb;
        return () => {};
      },
    });
    const seen: string[] = [];
    store.onChange((s) => seen.push(s.interactive));
    expect(get(store).loading).toBe(true);
    await store.start();
    expect(get(store).status?.interactive).toBe('always');
    push(status({ interactive: 'never', access: 'exclusive' }));
    expect(get(store).status).toMatchObject({ interactive: 'never', access: 'exclusive' });
    expect(seen).toEqual(['always', 'never']);
  });

  it('an event that arrives during a load wins over the older load', async () => {
    let push!: (s: AppStatus) => void;
    let finishLoad!: (s: AppStatus) => void;
    const store = createStatusStore({
      load: () => new Promise((r) => (finishLoad = r)),
      listen: async (cb) => {
        push = cb;
        return () => {};
      },
    });
    const started = store.start();
    await vi.waitFor(() => expect(finishLoad).toBeTypeOf('function'));
    push(status({ save_login: true }));
    finishLoad(status({ save_login: false }));
    await started;
    expect(get(store).status?.save_login).toBe(true);
  });

  it('keeps the error of a failed load', async () => {
    const store = createStatusStore({
      load: async () => {
        throw { code: 'local', message: 'no config dir' };
      },
      listen: async () => () => {},
    });
    await store.start();
    expect(get(store)).toMatchObject({ status: null, loading: false, error: { code: 'local', message: 'no config dir' } });
  });

  it('reacts to the real status_changed event through the Tauri event API', async () => {
    mockIPC(
      (cmd) => {
        if (cmd === 'get_status') return status();
        throw new Error(`unexpected ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    const { api } = await import('../api');
    const store = createStatusStore({ load: api.getStatus, listen: onStatusChanged });
    const stop = await store.start();
    expect(get(store).status?.tokens).toBe(0);
    await emit('status_changed', status({ tokens: 3, online: 'offline', offline_reason: 'the host is not running' }));
    expect(get(store).status).toMatchObject({ tokens: 3, online: 'offline', offline_reason: 'the host is not running' });
    stop();
    await emit('status_changed', status({ tokens: 9 }));
    expect(get(store).status?.tokens).toBe(3);
  });
});
