// The "Set password" dialog's rules: when Save is enabled and what stands in the way.
import type { Strength } from './api';

export interface PasswordFormState {
  password: string;
  confirm: string;
  /** The latest verdict from the backend... */
  strength: Strength | null;
  /** ...and the exact password it was computed for (a verdict for older text does not count). */
  strengthFor: string | null;
  /** A strength check is scheduled or running. */
  checking: boolean;
  saving: boolean;
}

export interface PasswordFormVerdict {
  canSave: boolean;
  /** Show "the passwords differ" under the confirmation field. */
  mismatch: boolean;
  /** Why Save is disabled, in words; null when it is enabled. */
  blocker: string | null;
}

export function passwordFormVerdict(s: PasswordFormState): PasswordFormVerdict {
  const mismatch = s.confirm.length > 0 && s.confirm !== s.password;
  const blocker = ((): string | null => {
    if (s.saving) return 'Saving…';
    if (s.password.length === 0) return 'Type a password.';
    const current = s.strength !== null && s.strengthFor === s.password;
    if (s.checking || !current) return 'Checking the password…';
    if (!s.strength!.acceptable) return 'This password is not accepted; see the reasons above.';
    if (s.confirm.length === 0) return 'Type the password again to confirm it.';
    if (mismatch) return 'The two passwords differ.';
    return null;
  })();
  return { canSave: blocker === null, mismatch, blocker };
}
