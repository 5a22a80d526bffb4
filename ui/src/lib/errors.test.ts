import { describe, expect, it } from 'vitest';
import type { AppError, ErrorCode } from './api';
import {
  CONNECT_ERROR_CODES,
  describeConnectError,
  describeSettingsError,
  SETTINGS_ERROR_CODES,
  waitText,
} from './errors';

const err = (code: string, extra: Partial<AppError> = {}): AppError => ({
  // Any string, as a backend might send: the tests try unknown codes too.
  code: code as ErrorCode,
  message: '',
  retry_after_s: null,
  expected: null,
  got: null,
  ...extra,
});

describe('connect errors', () => {
  it.each(CONNECT_ERROR_CODES)('%s has a title, a message and a next step', (code) => {
    const t = describeConnectError(err(code, { message: 'backend words' }));
    expect(t.code).toBe(code);
    expect(t.title.length).toBeGreaterThan(3);
    expect(t.message.length).toBeGreaterThan(10);
    expect(t.next && t.next.length).toBeGreaterThan(10);
    // Never the raw code as the headline.
    expect(t.title).not.toContain(code);
  });

  it('maps each code to its next action', () => {
    const actions = Object.fromEntries(
      CONNECT_ERROR_CODES.map((c) => [c, describeConnectError(err(c)).action]),
    );
    expect(actions).toEqual({
      wrong_credentials: 'password',
      second_factor_required: 'totp',
      second_factor_invalid: 'totp',
      denied: 'password',
      throttled: 'retry',
      protocol: 'retry',
      host_offline: 'retry',
      unknown_id: 'check_id',
      host_key_changed: 'trust_host_key',
      local: 'retry',
      bad_input: 'check_id',
      session_ended: 'retry',
      permission: 'none',
    });
  });

  it('tells how long to wait when throttled', () => {
    const t = describeConnectError(err('throttled', { retry_after_s: 90 }));
    expect(t.message).toContain('1 minute 30 seconds');
    expect(t.retryAfterS).toBe(90);
    expect(describeConnectError(err('throttled', { retry_after_s: 1 })).message).toContain('1 second.');
  });

  it('keeps the backend detail for local, protocol and bad_input', () => {
    expect(describeConnectError(err('local', { message: 'disk full' })).message).toBe('disk full');
    expect(describeConnectError(err('protocol', { message: 'version 3' })).message).toContain('Details: version 3');
    expect(describeConnectError(err('bad_input', { message: 'bad id' })).message).toContain('bad id');
  });

  it('says something sensible about codes it does not know', () => {
    const t = describeConnectError(err('martian', { message: 'strange' }));
    expect(t.title).toBe('Something went wrong');
    expect(t.message).toBe('strange');
    expect(describeConnectError(err('martian')).message).toContain('martian');
  });
});

describe('settings errors', () => {
  it.each(SETTINGS_ERROR_CODES)('%s has a title, a message and a next step', (code) => {
    const t = describeSettingsError(err(code, { message: 'it is too short' }));
    expect(t.title.length).toBeGreaterThan(3);
    expect(t.message.length).toBeGreaterThan(5);
    expect(t.next && t.next.length).toBeGreaterThan(5);
  });

  it('shows the policy reasons for weak_password', () => {
    const t = describeSettingsError(err('weak_password', { message: 'use at least 8 characters' }));
    expect(t.message).toBe('use at least 8 characters');
  });

  it('points to "Set password" for no_password', () => {
    const t = describeSettingsError(err('no_password'));
    expect(t.action).toBe('set_password');
    expect(t.next).toMatch(/Set password/);
  });

  it('refreshes on not_found and explains builtin/exists/forbidden', () => {
    expect(describeSettingsError(err('not_found')).action).toBe('refresh');
    expect(describeSettingsError(err('builtin')).message).toMatch(/not renamed or deleted/);
    expect(describeSettingsError(err('exists')).title).toBe('Name already used');
    expect(describeSettingsError(err('forbidden', { message: 'socket refused' })).message).toContain('socket refused');
  });
});

describe('waitText', () => {
  it.each([
    [1, '1 second'],
    [45, '45 seconds'],
    [60, '1 minute'],
    [61, '1 minute 1 second'],
    [150, '2 minutes 30 seconds'],
    [0.2, '1 second'],
  ])('%d -> %s', (s, text) => expect(waitText(s)).toBe(text));
});
