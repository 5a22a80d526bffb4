import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatSeconds,
  formatUptime,
  groupId,
  groupSecret,
  idGroups,
  idProblem,
  normalizeId,
  normalizeSixDigits,
  normalizeTotp,
  plural,
  profileLabel,
  sentence,
} from './format';

describe('device IDs', () => {
  it.each([
    ['123456789', '123456789'],
    ['123 456 789', '123456789'],
    ['123-456-789', '123456789'],
    ['  123 456789 ', '123456789'],
  ])('normalizes %j', (text, id) => expect(normalizeId(text)).toBe(id));

  it.each(['', '12345678', '1234567890', '012345678', '12345678a', '123 456 78 9x'])(
    'rejects %j',
    (text) => expect(normalizeId(text)).toBeNull(),
  );

  it('explains what is wrong, in words', () => {
    expect(idProblem('')).toBeNull();
    expect(idProblem('123 456 789')).toBeNull();
    expect(idProblem('12a')).toMatch(/only digits/);
    expect(idProblem('0123')).toMatch(/never starts with 0/);
    expect(idProblem('1234')).toBe('An ID has 9 digits; 4 are typed so far.');
    expect(idProblem('1')).toBe('An ID has 9 digits; 1 is typed so far.');
    expect(idProblem('1234567890')).toMatch(/this has 10/);
  });

  it('groups for display', () => {
    expect(idGroups('123456789')).toEqual(['123', '456', '789']);
    expect(groupId('123456789')).toBe('123 456 789');
    expect(groupId('not an id')).toBe('not an id');
  });
});

describe('2FA codes', () => {
  it('accepts 6 digits and recovery codes', () => {
    expect(normalizeTotp('123456')).toBe('123456');
    expect(normalizeTotp('123 456')).toBe('123456');
    expect(normalizeTotp('abcd-efgh-ijkl-mnop')).toBe('ABCD-EFGH-IJKL-MNOP');
    expect(normalizeTotp('ABCDEFGHIJKLMNOP')).toBe('ABCD-EFGH-IJKL-MNOP');
  });
  it('refuses anything else', () => {
    expect(normalizeTotp('12345')).toBeNull();
    expect(normalizeTotp('1234567')).toBeNull();
    expect(normalizeTotp('ABCD-EFGH-IJKL-MNO1')).toBeNull(); // 1 is not base32
    expect(normalizeSixDigits('ABCD-EFGH-IJKL-MNOP')).toBeNull();
    expect(normalizeSixDigits(' 654 321 ')).toBe('654321');
  });
});

describe('other formatting', () => {
  it('groups secrets by 4', () => expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP'));
  it('pluralizes', () => {
    expect(plural(0, 'saved login')).toBe('0 saved logins');
    expect(plural(1, 'saved login')).toBe('1 saved login');
  });
  it('formats countdowns', () => {
    expect(formatSeconds(65)).toBe('1:05');
    expect(formatSeconds(9)).toBe('0:09');
    expect(formatSeconds(-3)).toBe('0:00');
  });
  it('labels profiles', () => {
    expect(profileLabel('full_access')).toBe('Full access');
    expect(profileLabel('screen_sharing')).toBe('Screen sharing');
  });
  it('turns backend phrases into sentences, leaving sentences alone', () => {
    expect(sentence('the host ended the session')).toBe('The host ended the session.');
    expect(sentence('the screen stream broke: timed out ')).toBe('The screen stream broke: timed out.');
    expect(sentence('The remote computer restarted.')).toBe('The remote computer restarted.');
    expect(sentence('Really?')).toBe('Really?');
    expect(sentence('')).toBe('');
  });
});

describe('sizes and durations', () => {
  it('reads bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatBytes(-3)).toBe('0 B');
  });
  it('reads an uptime in days, hours and minutes', () => {
    expect(formatUptime(59)).toBe('0 min');
    expect(formatUptime(3 * 3600 + 120)).toBe('3 h 2 min');
    expect(formatUptime(2 * 86400 + 3600)).toBe('2 d 1 h 0 min');
  });
});
