import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** Svelte compiles each component's <style> into the emitted CSS files (no inline styles: strict CSP). */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    css: 'external',
  },
};
