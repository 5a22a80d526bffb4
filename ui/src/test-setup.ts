// Unit tests run in Node. `@tauri-apps/api/mocks` expects a browser `window` with Web Crypto
// (Node 18 has no global `crypto`), so give it the global object and Node's webcrypto.
import { webcrypto } from 'node:crypto';

const g = globalThis as unknown as Record<string, unknown>;
if (!g.window) g.window = globalThis;
if (!g.crypto) g.crypto = webcrypto;
