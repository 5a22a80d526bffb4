// Device key fingerprints as a person types them (the access control list's entries): the same
// rules as latchkey_core::acl::parse_fingerprint, so the form can say what is wrong before asking.

/** The canonical `ABCD-EFGH-IJKL-MNOP` form, or null when `text` is not a fingerprint. */
export function normalizeFingerprint(text: string): string | null {
  const t = text.trim();
  const parts = t.split('-');
  if (parts.length > 1 && !parts.every((g) => g.length === 4)) return null;
  const chars = t.replace(/[- ]/g, '').toUpperCase();
  if (!/^[A-Z2-7]{16}$/.test(chars)) return null;
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4)).join('-');
}

/** Why `text` cannot be listed, in one sentence; null when it can. */
export function fingerprintProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return 'Enter the other computer’s device fingerprint.';
  if (/^[\d ]+$/.test(t)) {
    return 'That looks like a device ID. The list takes the device fingerprint (shown on the other computer), since a computer cannot prove an ID.';
  }
  if (normalizeFingerprint(t) === null) {
    return 'A fingerprint is 16 letters and digits 2–7, like ABCD-EFGH-IJKL-MNOP.';
  }
  return null;
}
