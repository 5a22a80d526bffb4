// Words for the secret-store choice (StoreChoice.svelte): what the app found, and what the
// keyring button does for each finding. Pure, so the unit tests can check every case.
import type { KeyringProblem } from '../../bindings';

export interface ProblemText {
  title: string;
  explanation: string;
  /** The keyring button, or null when there is nothing to ask the keyring. */
  keyringAction: string | null;
  keyringHint: string;
}

export const PROBLEM_TEXT: Record<KeyringProblem, ProblemText> = {
  no_service: {
    title: 'No keyring is running',
    explanation:
      'Latchkey keeps this computer’s identity key in the system keyring (the Secret Service, such as GNOME Keyring), and none answers in this session.',
    keyringAction: 'Try the keyring again',
    keyringHint: 'After starting a keyring such as GNOME Keyring in this session.',
  },
  locked: {
    title: 'The login keyring is locked',
    explanation:
      'Latchkey keeps this computer’s identity key in the system keyring, and the keyring is locked.',
    keyringAction: 'Unlock the keyring…',
    keyringHint: 'The keyring asks for its password in a window of its own, where one can appear.',
  },
  no_default_collection: {
    title: 'There is no login keyring yet',
    explanation:
      'Latchkey keeps this computer’s identity key in the system keyring, and the keyring service here has no login keyring to keep it in.',
    keyringAction: 'Create the login keyring…',
    keyringHint: 'The keyring asks for a new password in a window of its own, where one can appear.',
  },
  refused: {
    title: 'The keyring refused Latchkey’s secrets',
    explanation: 'Latchkey keeps this computer’s identity key in the system keyring, which refused to keep it.',
    keyringAction: 'Try the keyring again',
    keyringHint: 'If the keyring asks for anything, answer it in its own window.',
  },
};

/** What to say when the keyring button did not help. */
export function stillText(problem: KeyringProblem): string {
  switch (problem) {
    case 'no_service':
      return 'Still no keyring answers in this session.';
    case 'locked':
      return 'The keyring is still locked (its window was closed, or none could appear here).';
    case 'no_default_collection':
      return 'There is still no login keyring (its window was closed, or none could appear here).';
    case 'refused':
      return 'The keyring still refuses.';
  }
}
