import { describe, expect, it } from 'vitest';
import { fingerprintProblem, normalizeFingerprint } from './fingerprint';

describe('fingerprints', () => {
  it.each([
    ['abcd-efgh-ijkl-mnop', 'ABCD-EFGH-IJKL-MNOP'],
    [' ABCDEFGHIJKLMN27 ', 'ABCD-EFGH-IJKL-MN27'],
    ['ABCD EFGH IJKL MNOP', 'ABCD-EFGH-IJKL-MNOP'],
  ])('%s is %s', (input, out) => {
    expect(normalizeFingerprint(input)).toBe(out);
    expect(fingerprintProblem(input)).toBeNull();
  });

  it.each(['', 'ABCD-EFGH-IJKL', 'ABCD-EFGH-IJKL-MNO1', 'AB-CDEFGH-IJKL-MNOP', 'ABCD_EFGH_IJKL_MNOP'])(
    'refuses %j',
    (input) => {
      expect(normalizeFingerprint(input)).toBeNull();
      expect(fingerprintProblem(input)).toMatch(/fingerprint/);
    },
  );

  it('says a device ID is not a fingerprint', () => {
    expect(fingerprintProblem('123 456 789')).toMatch(/looks like a device ID/);
  });
});
