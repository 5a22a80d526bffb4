// Formatting and validation of what people read and type: device IDs, fingerprints,
// 2FA codes, dates and counts.

/** A device ID: 9 decimal digits, first digit not 0 (the Rust `DeviceId`). */
export const ID_DIGITS = 9;

/** The 9 digits of an ID typed by a person (spaces and dashes allowed), or null. */
export function normalizeId(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  return /^[1-9][0-9]{8}$/.test(digits) ? digits : null;
}

/**
 * Why `text` is not (yet) an ID, in words; null when it is one or when nothing was typed
 * (an empty box needs no complaint).
 */
export function idProblem(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  if (digits === '') return null;
  if (!/^[0-9]+$/.test(digits)) return 'An ID has only digits (spaces and dashes are fine).';
  if (digits.startsWith('0')) return 'An ID never starts with 0.';
  if (digits.length < ID_DIGITS) {
    const n = digits.length;
    return `An ID has ${ID_DIGITS} digits; ${n} ${n === 1 ? 'is' : 'are'} typed so far.`;
  }
  if (digits.length > ID_DIGITS) return `An ID has ${ID_DIGITS} digits; this has ${digits.length}.`;
  return null;
}

/** `123456789` as its three groups `["123", "456", "789"]` (anything else: one group). */
export function idGroups(id: string): string[] {
  const digits = normalizeId(id);
  if (!digits) return [id];
  return [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6, 9)];
}

/** `123456789` as `123 456 789`. */
export function groupId(id: string): string {
  return idGroups(id).join(' ');
}

/** A base32 secret in groups of 4 for reading aloud or typing: `ABCD EFGH ...`. */
export function groupSecret(secret: string): string {
  return (secret.replace(/\s/g, '').match(/.{1,4}/g) ?? []).join(' ');
}

/** A 2FA answer: 6 digits, or a recovery code (16 base32 characters, dashes optional). */
export function normalizeTotp(text: string): string | null {
  const t = text.trim();
  const digits = t.replace(/\s/g, '');
  if (/^[0-9]{6}$/.test(digits)) return digits;
  const rec = t.replace(/[\s-]/g, '').toUpperCase();
  if (/^[A-Z2-7]{16}$/.test(rec)) return rec.match(/.{4}/g)!.join('-');
  return null;
}

/** Exactly 6 digits (enrolment confirmation accepts no recovery code). */
export function normalizeSixDigits(text: string): string | null {
  const digits = text.replace(/\s/g, '');
  return /^[0-9]{6}$/.test(digits) ? digits : null;
}

/** `n thing` / `n things`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** An RFC 3339 time for a table cell, in the person's locale; `Never` for null. */
export function formatDateTime(rfc3339: string | null, never = 'Never'): string {
  if (!rfc3339) return never;
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Seconds as `m:ss`. */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.floor(total));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Bytes as people read them: `512 B`, `1.5 KiB`, `3.2 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A long duration in seconds as `3 d 4 h 12 min`, `2 h 5 min`, `7 min`. */
export function formatUptime(total: number): string {
  const s = Math.max(0, Math.floor(total));
  const d = Math.floor(s / 86400);
  const h = Math.floor(s / 3600) % 24;
  const m = Math.floor(s / 60) % 60;
  if (d) return `${d} d ${h} h ${m} min`;
  if (h) return `${h} h ${m} min`;
  return `${m} min`;
}

/**
 * A backend phrase as a sentence: the Rust side words reasons as lower-case fragments
 * (`the host ended the session`); shown on their own they get a capital and a full stop.
 */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** Profile names as people read them: `full_access` -> `Full access`. */
export function profileLabel(name: string): string {
  const spaced = name.replace(/[_-]+/g, ' ').trim();
  return spaced ? spaced[0].toUpperCase() + spaced.slice(1) : name;
}
