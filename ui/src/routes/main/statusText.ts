// Words for the status fields shown on Home.
import type { AccessSummary, HostMode, OnlineState } from '../../lib/api';

export const ACCESS_TEXT: Record<AccessSummary, { label: string; explanation: string }> = {
  attended: {
    label: 'attended',
    explanation: 'Someone at this computer must accept each incoming request.',
  },
  unattended: {
    label: 'unattended',
    explanation:
      'Profiles with a password let others connect when nobody is here; other requests are still shown to be accepted.',
  },
  exclusive: {
    label: 'exclusive unattended',
    explanation:
      'Requests are never shown: only a profile password or a saved login can open a session.',
  },
};

/** `detail` gets the rendezvous server in use (null before one is known). */
export const ONLINE_TEXT: Record<OnlineState, { label: string; detail: (server: string | null) => string }> = {
  online: { label: 'Online', detail: (s) => (s ? `through ${s}` : '') },
  connecting: { label: 'Connecting…', detail: (s) => (s ? `to ${s}` : '') },
  offline: { label: 'Offline', detail: () => 'Other computers cannot reach this one right now.' },
};

export const HOST_MODE_TEXT: Record<HostMode, string> = {
  in_app: 'Incoming sessions are handled by this app while it runs.',
  service: 'Incoming sessions are handled by the Latchkey background service, even before anyone logs in.',
  off: 'This computer does not accept incoming sessions.',
};
