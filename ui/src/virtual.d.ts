// Resolved by vite.config.ts: the e2e mock backend in `--mode mock`, nothing otherwise.
declare module 'virtual:latchkey-backend-setup' {}
