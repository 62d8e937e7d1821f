// Builds the chat widget into dist/widget.js (one minified IIFE) and fails when it grows past
// its budget: it loads on customers' pages, so every kilobyte is theirs to pay.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const LIMIT_GZIP_BYTES = 40 * 1024;
const here = path.dirname(new URL(import.meta.url).pathname);
const outfile = path.join(here, '../dist/widget.js');

await build({
  entryPoints: [path.join(here, '../src/widget.ts')],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2019'],
  legalComments: 'none',
  logLevel: 'warning',
});
const raw = readFileSync(outfile);
const gzipped = gzipSync(raw, { level: 9 }).length;
console.log(`widget: dist/widget.js ${(raw.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${LIMIT_GZIP_BYTES / 1024} KB)`);
if (gzipped > LIMIT_GZIP_BYTES) {
  console.error(`widget: ${gzipped} bytes gzipped is over the ${LIMIT_GZIP_BYTES}-byte budget`);
  process.exit(1);
}
