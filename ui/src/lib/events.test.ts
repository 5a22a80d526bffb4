import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { EVENTS, type EventPayloads } from '../bindings';
import {
  onDeepLink,
  onDeepLinkRefused,
  onNotice,
  onRequestsChanged,
  onSessionEnded,
  onSessionPermissions,
  onStatusChanged,
  onStoreProblem,
  onFileTransfer,
  onPrintArrived,
  type UnlistenFn,
} from './events';

afterEach(() => clearMocks());

/** One payload of each event, in the generated types. */
const payloads: { [K in keyof EventPayloads]: EventPayloads[K] } = {
  status_changed: {
    device_id: '418207351',
    online: 'offline',
    offline_reason: 'the host is not running',
    rendezvous: null,
    host_mode: 'off',
    access: 'attended',
    fingerprint: 'K7QF-2XMA-9VTR-HP4D',
    interactive: 'always',
    save_login: false,
    two_factor: { enabled: false, pending: false, apply_to_tokens: true, apply_to_reconnect: true, recovery_codes_left: 0 },
    default_profile: 'default',
    tokens: 0,
    profiles: [],
    secret_store: 'file',
    config_dir: '/tmp/lk',
  },
  requests_changed: [
    {
      id: '7',
      viewer: 'QWER-TYUI-OPAS-DFGH',
      viewer_name: 'Alice',
      seen: 'known',
      profile: 'support',
      addr: null,
      expires_in_s: 30,
      permissions: ['control_input'],
    },
  ],
  deep_link: { host_id: '123456789', profile: null },
  deep_link_refused: { message: 'it carried a password' },
  session_ended: { session_id: 's1', reason: 'you ended the session' },
  session_permissions: { session_id: 's1', permissions: ['clipboard'] },
  notice: { message: 'the host stopped', section: 'security' },
  store_problem: { problem: 'locked', can_use_file: true },
  file_transfer: { session_id: 's1', id: 3, name: 'a.txt', direction: 'upload', state: 'running', sent: 10, total: 20, error: null },
  print_arrived: { session_id: 's1', job: 1, title: 'report', bytes: 2048 },
};

describe('events', () => {
  it('listens on the generated event names and hands over the payloads', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: [string, unknown][] = [];
    const rec =
      (name: string) =>
      (p: unknown): void => {
        seen.push([name, p]);
      };
    const stops: UnlistenFn[] = await Promise.all([
      onStatusChanged(rec('status_changed')),
      onRequestsChanged(rec('requests_changed')),
      onDeepLink(rec('deep_link')),
      onDeepLinkRefused(rec('deep_link_refused')),
      onSessionEnded(rec('session_ended')),
      onSessionPermissions(rec('session_permissions')),
      onNotice(rec('notice')),
      onStoreProblem(rec('store_problem')),
      onFileTransfer(rec('file_transfer')),
      onPrintArrived(rec('print_arrived')),
    ]);
    for (const name of Object.keys(EVENTS) as (keyof typeof EVENTS)[]) {
      expect(EVENTS[name]).toBe(name);
      await emit(EVENTS[name], payloads[name]);
    }
    expect(seen).toEqual(Object.entries(payloads));
    stops.forEach((s) => s());
    await emit(EVENTS.notice, payloads.notice);
    expect(seen).toHaveLength(Object.keys(payloads).length);
  });
});
