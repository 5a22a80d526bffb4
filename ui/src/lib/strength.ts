// The password strength meter's mapping: score 0..4 -> words, tone and bar width.
// Words and width carry the meaning; the colour only repeats it.
import type { Strength } from './api';

export type Tone = 'none' | 'danger' | 'warning' | 'ok' | 'good';

export interface StrengthView {
  score: number;
  /** Short words for the level, e.g. `Fair`. */
  label: string;
  /** The full sentence under the bar, e.g. `Strong: accepted`. */
  text: string;
  tone: Tone;
  /** Bar width in percent, 0..100. */
  widthPct: number;
  /** CSS custom property holding the tone's colour. */
  colorVar: string;
  acceptable: boolean;
}

export const STRENGTH_LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;
const TONES: Tone[] = ['danger', 'danger', 'warning', 'ok', 'good'];

export function toneColorVar(tone: Tone): string {
  return tone === 'none' ? '--lk-border' : `--lk-${tone}`;
}

/** The meter for a verdict; null means nothing typed yet. */
export function strengthView(s: Strength | null): StrengthView {
  if (!s) {
    return {
      score: 0,
      label: 'Not set',
      text: 'Type a password to see how strong it is.',
      tone: 'none',
      widthPct: 0,
      colorVar: toneColorVar('none'),
      acceptable: false,
    };
  }
  const score = Math.min(4, Math.max(0, Math.round(s.score)));
  // A refused password never looks better than "weak", whatever the score says.
  const tone = s.acceptable ? TONES[score] : 'danger';
  const label = STRENGTH_LABELS[score];
  return {
    score,
    label,
    text: s.acceptable ? `${label}: accepted` : `${label}: not accepted`,
    tone,
    widthPct: (score + 1) * 20,
    colorVar: toneColorVar(tone),
    acceptable: s.acceptable,
  };
}

/** Advice that is not a refusal (the backend lists refusals first inside `warnings`). */
export function adviceOnly(s: Strength): string[] {
  const refused = new Set(s.refusals);
  return s.warnings.filter((w) => !refused.has(w));
}
