// Multi-page build: one HTML entry per Tauri window.
//
// `vite build` is the production build (ui/dist). `vite build --mode mock` builds the same
// pages into ui/dist-mock with an in-memory fake backend installed before the app starts
// (e2e/mock-backend.ts); only that mode resolves the `virtual:latchkey-backend-setup` module
// to the mock, so the production bundle cannot contain it.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));
const SETUP_ID = 'virtual:latchkey-backend-setup';
const RESOLVED_SETUP_ID = '\0' + SETUP_ID;

export default defineConfig(({ mode }) => {
  const mock = mode === 'mock';
  return {
    root,
    base: './',
    // Nothing under public/: every asset is imported, fingerprinted and served by Tauri.
    publicDir: false,
    plugins: [
      svelte(),
      {
        name: 'latchkey-backend-setup',
        resolveId(id) {
          return id === SETUP_ID ? RESOLVED_SETUP_ID : null;
        },
        load(id) {
          if (id !== RESOLVED_SETUP_ID) return null;
          return mock
            ? `import ${JSON.stringify(resolve(root, 'e2e/mock-backend.ts'))};`
            : 'export {};';
        },
      },
    ],
    build: {
      outDir: mock ? 'dist-mock' : 'dist',
      emptyOutDir: true,
      target: 'es2021',
      // No data: URLs for assets, no inline anything: the CSP is `default-src 'self'`.
      assetsInlineLimit: 0,
      cssCodeSplit: true,
      sourcemap: false,
      modulePreload: { polyfill: false },
      rollupOptions: {
        input: {
          main: resolve(root, 'index.html'),
          accept: resolve(root, 'accept.html'),
          viewer: resolve(root, 'viewer.html'),
          files: resolve(root, 'files.html'),
        },
      },
    },
    // tauri.conf.json's devUrl.
    server: { host: '127.0.0.1', strictPort: true, port: 5173 },
  };
});
