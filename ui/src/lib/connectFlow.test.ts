import { describe, expect, it, vi } from 'vitest';
import type { AppError, ErrorCode, ConnectRequest, SessionInfo } from './api';
import { createConnectFlow, stateAfterError } from './connectFlow';

const session: SessionInfo = {
  session_id: 's1',
  host_id: '123456789',
  method: 'password',
  profile: 'default',
  permissions: [],
  token_saved: true,
  displays: [],
  display: 0,
  frames_url: 'ws://127.0.0.1:1/frames?secret=x',
};

const appError = (code: string, extra: Partial<AppError> = {}): AppError => ({
  // Any string, as a backend might send: the tests try unknown codes too.
  code: code as ErrorCode,
  message: '',
  retry_after_s: null,
  expected: null,
  got: null,
  ...extra,
});

describe('connect flow', () => {
  it('password -> 2FA -> connected, carrying what was typed', async () => {
    const seen: ConnectRequest[] = [];
    const connect = vi.fn(async (r: ConnectRequest) => {
      seen.push(r);
      if (!r.password) throw appError('denied');
      if (!r.totp) throw appError('second_factor_required');
      return session;
    });
    const flow = createConnectFlow(connect);
    await flow.start('123456789', null);
    expect(flow.current()).toMatchObject({ step: 'failed', error: { code: 'denied', action: 'password' } });
    flow.usePassword();
    expect(flow.current().step).toBe('password');
    await flow.submitPassword('secret pass', true);
    expect(flow.current()).toMatchObject({ step: 'totp', error: null });
    await flow.submitTotp('123456');
    expect(flow.current().step).toBe('connected');
    expect(seen.at(-1)).toEqual({
      host_id: '123456789',
      profile: null,
      password: 'secret pass',
      totp: '123456',
      remember: true,
      accept_new_host_key: false,
    });
  });

  it('asks for the password first when chosen', async () => {
    const connect = vi.fn(async () => session);
    const flow = createConnectFlow(connect);
    await flow.start('123456789', ' work ', true);
    expect(connect).not.toHaveBeenCalled();
    expect(flow.current()).toMatchObject({ step: 'password', request: { profile: 'work' } });
  });

  it('retries with accept_new_host_key after "I trust this change"', async () => {
    const connect = vi.fn(async (r: ConnectRequest) => {
      if (!r.accept_new_host_key) throw appError('host_key_changed', { expected: 'AAAA', got: 'BBBB' });
      return session;
    });
    const flow = createConnectFlow(connect);
    await flow.start('123456789', null);
    expect(flow.current()).toMatchObject({ step: 'host_key', expected: 'AAAA', got: 'BBBB' });
    await flow.trustHostKey();
    expect(flow.current().step).toBe('connected');
    expect(connect.mock.calls[1][0].accept_new_host_key).toBe(true);
  });

  it('ignores the answer to an attempt that was cancelled', async () => {
    let resolve!: (s: SessionInfo) => void;
    const flow = createConnectFlow(() => new Promise((r) => (resolve = r)));
    const p = flow.start('123456789', null);
    expect(flow.current().step).toBe('connecting');
    flow.cancel();
    resolve(session);
    await p;
    expect(flow.current().step).toBe('idle');
  });

  it('turns IPC failures into local errors', async () => {
    const flow = createConnectFlow(async () => {
      throw new Error('ipc broke');
    });
    await flow.start('123456789', null);
    expect(flow.current()).toMatchObject({ step: 'failed', error: { code: 'local', message: 'ipc broke' } });
  });
});

describe('stateAfterError', () => {
  const req: ConnectRequest = {
    host_id: '123456789',
    profile: null,
    password: 'pw',
    totp: '111111',
    remember: false,
    accept_new_host_key: false,
  };
  it('asks again for the password and forgets the wrong one', () => {
    const s = stateAfterError(req, appError('wrong_credentials'), 0);
    expect(s).toMatchObject({ step: 'password', request: { password: null, totp: null } });
  });
  it('asks again for a code after an invalid one, with the reason', () => {
    const s = stateAfterError(req, appError('second_factor_invalid'), 0);
    expect(s).toMatchObject({ step: 'totp', error: { code: 'second_factor_invalid' }, request: { password: 'pw' } });
  });
  it('computes when a throttled attempt may be retried', () => {
    const s = stateAfterError(req, appError('throttled', { retry_after_s: 30 }), 1000);
    expect(s).toMatchObject({ step: 'failed', retryAt: 31_000 });
  });
  it.each(['denied', 'protocol', 'host_offline', 'unknown_id', 'local', 'bad_input'])('%s is a refusal', (code) => {
    expect(stateAfterError(req, appError(code), 0)).toMatchObject({ step: 'failed', error: { code }, retryAt: null });
  });
});
