import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { api, BackendError, toAppError } from './api';

afterEach(() => clearMocks());

describe('api', () => {
  it('sends snake_case command names with camelCase argument keys', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return cmd === 'create_profile' ? { name: 'work' } : null;
    });
    await api.createProfile('work', 'default');
    await api.movePointer('s1', 10, 20);
    await api.answerRequest('7', true, 'QWER-TYUI-OPAS-DFGH', 'default', ['clipboard']);
    await api.setTwoFactorScope('tokens', false);
    await api.switchDisplay('s1', 451);
    await api.sendInput('s1', { type: 'key_down', code: 'KeyA' });
    expect(calls).toEqual([
      ['create_profile', { name: 'work', copyFrom: 'default' }],
      ['move_pointer', { sessionId: 's1', x: 10, y: 20 }],
      ['answer_request', { id: '7', accept: true, viewer: 'QWER-TYUI-OPAS-DFGH', profile: 'default', permissions: ['clipboard'] }],
      ['set_two_factor_scope', { scope: 'tokens', on: false }],
      ['switch_display', { sessionId: 's1', id: 451 }],
      ['send_input', { sessionId: 's1', input: { type: 'key_down', code: 'KeyA' } }],
    ]);
  });

  it('passes results through as the backend sent them (a clipboard without text is null)', async () => {
    mockIPC((cmd) => (cmd === 'clipboard_get' ? null : cmd === 'clear_tokens' ? 3 : undefined));
    await expect(api.clipboardGet('s1')).resolves.toBeNull();
    await expect(api.clearTokens()).resolves.toBe(3);
  });

  it('throws BackendError with the AppError the backend rejected with', async () => {
    mockIPC(() => {
      throw { code: 'throttled', message: 'slow down', retry_after_s: 12 };
    });
    const e = await api.connect({
      host_id: '123456789',
      profile: null,
      password: null,
      totp: null,
      remember: false,
      accept_new_host_key: false,
    }).catch((x) => x);
    expect(e).toBeInstanceOf(BackendError);
    expect(e.code).toBe('throttled');
    expect(e.detail).toEqual({ code: 'throttled', message: 'slow down', retry_after_s: 12, expected: null, got: null });
  });

  it('turns IPC failures and plain strings into local errors', async () => {
    mockIPC(() => {
      throw new Error('channel closed');
    });
    await expect(api.getStatus()).rejects.toMatchObject({ detail: { code: 'local', message: 'channel closed' } });
    expect(toAppError('boom')).toMatchObject({ code: 'local', message: 'boom' });
  });
});
