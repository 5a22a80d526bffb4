import { describe, expect, it } from 'vitest';
import type { Strength } from './api';
import { passwordFormVerdict, type PasswordFormState } from './passwordForm';

const good: Strength = { score: 4, acceptable: true, warnings: [], refusals: [] };
const weak: Strength = { score: 1, acceptable: false, warnings: ['too short'], refusals: ['too short'] };

function state(p: Partial<PasswordFormState>): PasswordFormState {
  return {
    password: 'correct horse battery',
    confirm: 'correct horse battery',
    strength: good,
    strengthFor: 'correct horse battery',
    checking: false,
    saving: false,
    ...p,
  };
}

describe('passwordFormVerdict', () => {
  it('enables Save when accepted, current and matching', () => {
    expect(passwordFormVerdict(state({}))).toEqual({ canSave: true, mismatch: false, blocker: null });
  });

  it('needs a password', () => {
    const v = passwordFormVerdict(state({ password: '', confirm: '', strength: null, strengthFor: null }));
    expect(v.canSave).toBe(false);
    expect(v.blocker).toMatch(/Type a password/);
  });

  it('waits for the strength check of the current text', () => {
    expect(passwordFormVerdict(state({ checking: true })).canSave).toBe(false);
    const stale = passwordFormVerdict(state({ strengthFor: 'correct horse batter' }));
    expect(stale.canSave).toBe(false);
    expect(stale.blocker).toMatch(/Checking/);
  });

  it('refuses a password the policy refuses, even when both fields match', () => {
    const v = passwordFormVerdict(state({ strength: weak }));
    expect(v.canSave).toBe(false);
    expect(v.blocker).toMatch(/not accepted/);
  });

  it('needs the confirmation', () => {
    const v = passwordFormVerdict(state({ confirm: '' }));
    expect(v.canSave).toBe(false);
    expect(v.mismatch).toBe(false);
    expect(v.blocker).toMatch(/again/);
  });

  it('reports a mismatch', () => {
    const v = passwordFormVerdict(state({ confirm: 'correct horse battery!' }));
    expect(v.canSave).toBe(false);
    expect(v.mismatch).toBe(true);
    expect(v.blocker).toMatch(/differ/);
  });

  it('shows a mismatch while typing the confirmation, whatever the strength', () => {
    expect(passwordFormVerdict(state({ strength: weak, confirm: 'x' })).mismatch).toBe(true);
  });

  it('is disabled while saving', () => {
    expect(passwordFormVerdict(state({ saving: true })).canSave).toBe(false);
  });
});
