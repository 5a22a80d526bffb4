import { describe, expect, it } from 'vitest';
import type { Strength } from './api';
import { adviceOnly, STRENGTH_LABELS, strengthView } from './strength';

const s = (score: number, acceptable = true, refusals: string[] = [], advice: string[] = []): Strength => ({
  score,
  acceptable,
  refusals,
  warnings: [...refusals, ...advice],
});

describe('strengthView', () => {
  it('shows an empty bar and a prompt before anything is typed', () => {
    const v = strengthView(null);
    expect(v.widthPct).toBe(0);
    expect(v.tone).toBe('none');
    expect(v.label).toBe('Not set');
    expect(v.acceptable).toBe(false);
  });

  it.each([
    [0, 'Very weak', 20, 'danger', '--lk-danger'],
    [1, 'Weak', 40, 'danger', '--lk-danger'],
    [2, 'Fair', 60, 'warning', '--lk-warning'],
    [3, 'Strong', 80, 'ok', '--lk-ok'],
    [4, 'Very strong', 100, 'good', '--lk-good'],
  ])('score %i -> %s, %i%%, %s', (score, label, width, tone, colorVar) => {
    const v = strengthView(s(score));
    expect(v.label).toBe(label);
    expect(v.widthPct).toBe(width);
    expect(v.tone).toBe(tone);
    expect(v.colorVar).toBe(colorVar);
    expect(v.text).toBe(`${label}: accepted`);
  });

  it('says "not accepted" in words and uses the danger tone for a refused password', () => {
    const v = strengthView(s(3, false, ['use at least 8 characters']));
    expect(v.text).toBe('Strong: not accepted');
    expect(v.tone).toBe('danger');
    expect(v.acceptable).toBe(false);
  });

  it('clamps out-of-range scores', () => {
    expect(strengthView(s(9)).score).toBe(4);
    expect(strengthView(s(-2)).score).toBe(0);
  });

  it('has five distinct labels', () => {
    expect(new Set(STRENGTH_LABELS).size).toBe(5);
  });

  it('separates advice from refusals', () => {
    expect(adviceOnly(s(1, false, ['too short'], ['mix classes']))).toEqual(['mix classes']);
  });
});
