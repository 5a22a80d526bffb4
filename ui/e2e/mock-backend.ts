// Installed before the app starts in the mock build only (vite --mode mock): Tauri's IPC is
// replaced by the in-memory FakeBackend, and `window.__latchkeyMock` lets the e2e tests inspect
// calls and emit backend events. The configuration comes from `window.__LATCHKEY_MOCK_CONFIG__`,
// which the tests set before the page loads.
import { mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { FakeBackend, type Emit } from './fake-backend';

const label = location.pathname.endsWith('accept.html')
  ? 'accept'
  : location.pathname.endsWith('viewer.html')
    ? 'viewer'
    : location.pathname.endsWith('files.html')
      ? 'files'
      : 'main';
mockWindows(label);

const config = window.__LATCHKEY_MOCK_CONFIG__ ?? {};
const send: Emit = (event, payload) => {
  // After the current command has returned, like the real backend's events.
  setTimeout(() => void emit(event, payload), 0);
};
const backend = new FakeBackend(config, send);

mockIPC((cmd, args) => backend.handle(cmd, (args ?? {}) as Record<string, unknown>), {
  shouldMockEvents: true,
});

window.__latchkeyMock = {
  backend,
  emit: (event, payload) => emit(event, payload),
};
console.info(`[latchkey] mock backend installed for the ${label} window`);
