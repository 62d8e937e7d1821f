import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// In development the API runs on its own port; Vite proxies /api (including the WebSocket) to it.
const api = process.env.RAPPORT_API ?? 'http://127.0.0.1:3000';

/** Writes .br and .gz beside each built asset; the server sends them to clients that accept them. */
function precompress(): Plugin {
  return {
    name: 'rapport-precompress',
    apply: 'build',
    closeBundle() {
      const dir = path.resolve(import.meta.dirname, 'dist/assets');
      for (const name of readdirSync(dir)) {
        if (!/\.(js|css|svg)$/.test(name)) continue;
        const file = path.join(dir, name);
        const body = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [react(), precompress()],
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api, ws: true },
      '/v1': { target: api },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, manifest: true, chunkSizeWarningLimit: 1000 },
});
