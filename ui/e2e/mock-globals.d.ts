// What the mock build adds to `window`, for the page code and for tests that evaluate in the page.
import type { FakeBackend, MockConfig } from './fake-backend';

declare global {
  interface Window {
    __LATCHKEY_MOCK_CONFIG__?: MockConfig;
    __latchkeyMock?: {
      backend: FakeBackend;
      emit(event: string, payload: unknown): Promise<void>;
    };
  }
}

export {};
