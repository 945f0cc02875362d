// Vite configuration for the Client Portal. Run from the repository root as
// `vite build web` (root = web/, output = web/dist). JSX goes through esbuild
// with Preact's automatic runtime; no framework plugin is needed.
//
// The server sends a strict Content-Security-Policy (script-src 'self';
// style-src 'self'), so the built index.html must contain no inline script or
// style: CSS is emitted as a file and the module-preload polyfill is off
// (every browser we support has native <link rel="modulepreload">).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    // Inlining small assets would put data: URLs into the stylesheet; keep them
    // as files so nothing depends on the img-src data: allowance.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npm run dev` convenience: forward the API to a locally running server.
    proxy: {
      '/api': process.env.FH_BASE_URL || 'http://127.0.0.1:8080',
    },
  },
});
