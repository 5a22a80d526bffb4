// Backend error codes turned into words a person can act on: what happened and what to do next.
import { ErrorCode, type AppError } from './api';

/** Codes of texts the UI makes itself (not failures of a command). */
export type NoticeCode = 'deep_link_refused' | 'notice';

/** What the screen should offer next, besides showing the text. */
export type ErrorAction =
  | 'none'
  | 'password' // ask for (or again for) the password
  | 'totp' // ask for the 2FA code
  | 'trust_host_key' // the host-key-changed warning
  | 'retry' // a plain "Try again" (after retry_after_s when set)
  | 'check_id' // the ID is wrong: back to the ID box
  | 'set_password' // the profile needs a password first
  | 'refresh'; // the thing changed under us: the list was refreshed

export interface ErrorText {
  code: ErrorCode | NoticeCode;
  title: string;
  message: string;
  /** The next step, in one sentence; null when there is nothing to do. */
  next: string | null;
  action: ErrorAction;
  /** Seconds to wait before trying again (throttled). */
  retryAfterS: number | null;
}

function text(
  e: AppError,
  title: string,
  message: string,
  next: string | null,
  action: ErrorAction,
): ErrorText {
  return { code: e.code, title, message, next, action, retryAfterS: e.retry_after_s };
}

/** Our sentence, then the backend's own words when it sent some. */
function withDetail(sentence: string, e: AppError): string {
  const m = e.message.trim();
  return m ? `${sentence} Details: ${m}` : sentence;
}

/** Every code `connect` can fail with. */
export const CONNECT_ERROR_CODES = [
  ErrorCode.WrongCredentials,
  ErrorCode.SecondFactorRequired,
  ErrorCode.SecondFactorInvalid,
  ErrorCode.Denied,
  ErrorCode.Throttled,
  ErrorCode.Protocol,
  ErrorCode.HostOffline,
  ErrorCode.UnknownId,
  ErrorCode.HostKeyChanged,
  ErrorCode.Local,
  ErrorCode.BadInput,
  ErrorCode.SessionEnded,
  ErrorCode.Permission,
] as const;

/** Every code a settings command can fail with. */
export const SETTINGS_ERROR_CODES = [
  ErrorCode.WeakPassword,
  ErrorCode.NoPassword,
  ErrorCode.NotFound,
  ErrorCode.Exists,
  ErrorCode.Builtin,
  ErrorCode.Forbidden,
  ErrorCode.Local,
] as const;

/** Wait time in words: `45 seconds`, `2 minutes`, `1 minute 30 seconds`. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.floor(s / 60);
  const r = s % 60;
  const mins = `${m} minute${m === 1 ? '' : 's'}`;
  return r ? `${mins} ${r} second${r === 1 ? '' : 's'}` : mins;
}

/** A failed connection attempt, in words. */
export function describeConnectError(e: AppError): ErrorText {
  switch (e.code) {
    case ErrorCode.WrongCredentials:
      return text(
        e,
        'Wrong password',
        'The remote computer did not accept this password, or its saved login is no longer valid.',
        'Check the password with the owner of the remote computer and type it again.',
        'password',
      );
    case ErrorCode.SecondFactorRequired:
      return text(
        e,
        'Authenticator code needed',
        'This computer also asks for a code from its owner’s authenticator app.',
        'Enter the 6-digit code, or one of the recovery codes.',
        'totp',
      );
    case ErrorCode.SecondFactorInvalid:
      return text(
        e,
        'Code not accepted',
        'The code was wrong, has expired, or was already used once.',
        'Wait for the next code in the authenticator app and enter it. If this keeps failing, check that both computers’ clocks are right.',
        'totp',
      );
    case ErrorCode.Denied:
      return text(
        e,
        'Request declined',
        'The remote computer refused the session: the person there declined or did not answer in time, or it accepts only password logins.',
        'Ask the person at that computer to accept, or log in with a password if you have one.',
        'password',
      );
    case ErrorCode.Throttled: {
      const wait = e.retry_after_s != null ? waitText(e.retry_after_s) : 'a while';
      return text(
        e,
        'Too many attempts',
        `After several failed attempts the remote computer is pausing logins from this device. You can try again in ${wait}.`,
        'Wait, then try again with the right password.',
        'retry',
      );
    }
    case ErrorCode.Protocol:
      return text(
        e,
        'The computers could not understand each other',
        withDetail(
          'The remote computer answered in a way this version of Latchkey does not understand.',
          e,
        ),
        'Update Latchkey on both computers, then try again.',
        'retry',
      );
    case ErrorCode.HostOffline:
      return text(
        e,
        'Remote computer offline',
        'The computer with this ID is not reachable right now.',
        'Check that it is switched on, connected to the internet and running Latchkey, then try again.',
        'retry',
      );
    case ErrorCode.UnknownId:
      return text(
        e,
        'Unknown ID',
        'No computer is registered with this ID.',
        'Check the 9 digits with the person at the other computer.',
        'check_id',
      );
    case ErrorCode.HostKeyChanged:
      return text(
        e,
        'This computer’s identity has changed',
        'The key behind this ID is not the one you met before. That happens when Latchkey was reinstalled there, but it can also mean that someone is impersonating the computer.',
        'Compare the new fingerprint with the one shown on the remote computer (under its ID). Connect only if they match.',
        'trust_host_key',
      );
    case ErrorCode.BadInput:
      return text(
        e,
        'Invalid request',
        withDetail('Latchkey could not use what was entered.', e),
        'Check the ID and the other fields, then try again.',
        'check_id',
      );
    case ErrorCode.Permission:
      // A session command (clipboard, system information, ...) the host's profile does not allow.
      return text(
        e,
        'Not allowed in this session',
        withDetail('The remote computer does not allow this in this session.', e),
        'Ask its owner to turn the permission on for your profile, then connect again.',
        'none',
      );
    case ErrorCode.SessionEnded:
      // Also what the session commands (input, clipboard, displays) fail with once it is over.
      return text(
        e,
        'Session ended',
        withDetail('The connection to the remote computer was closed or lost.', e),
        'Connect again from the main window.',
        'retry',
      );
    case ErrorCode.Empty:
      // Files through the clipboard: a clipboard (here or on the host) without files.
      return text(
        e,
        'No files on the clipboard',
        withDetail('There are no copied files to take.', e),
        'Copy files in a file manager first, then try again.',
        'none',
      );
    case ErrorCode.Local:
      return localError(e);
    default:
      return unknownError(e);
  }
}

/** A refused settings change, in words. */
export function describeSettingsError(e: AppError): ErrorText {
  switch (e.code) {
    case ErrorCode.WeakPassword:
      return text(
        e,
        'Password not accepted',
        e.message.trim() || 'This password is too easy to guess.',
        'Choose a longer, less predictable password.',
        'none',
      );
    case ErrorCode.NoPassword:
      return text(
        e,
        'This profile has no password',
        'Unattended access works only with a password: without one nobody could log in.',
        'Use “Set password” for this profile first, then turn unattended access on.',
        'set_password',
      );
    case ErrorCode.NotFound:
      return text(
        e,
        'No longer there',
        'It was changed or removed meanwhile (perhaps from the tray or the command line).',
        'The list has been refreshed; check it and try again.',
        'refresh',
      );
    case ErrorCode.Exists:
      return text(
        e,
        'Name already used',
        'Another profile already has this name.',
        'Choose a different name.',
        'none',
      );
    case ErrorCode.Builtin:
      return text(
        e,
        'Built-in profile',
        'Built-in profiles can be edited and disabled, but not renamed or deleted.',
        'Copy it to make your own profile that you can rename or delete.',
        'none',
      );
    case ErrorCode.Forbidden:
      return text(
        e,
        'Not allowed',
        withDetail('The Latchkey background service refused this change.', e),
        'Make this change as an administrator (for example with the latchkey command as root).',
        'none',
      );
    case ErrorCode.Local:
      return localError(e);
    default:
      return unknownError(e);
  }
}

function localError(e: AppError): ErrorText {
  return text(
    e,
    'Something went wrong on this computer',
    e.message.trim() || 'Latchkey could not complete this action.',
    'Try again. If it keeps failing, restart Latchkey.',
    'retry',
  );
}

function unknownError(e: AppError): ErrorText {
  return text(
    e,
    'Something went wrong',
    e.message.trim() || `The action failed (${e.code}).`,
    'Try again. If it keeps failing, restart Latchkey.',
    'retry',
  );
}
