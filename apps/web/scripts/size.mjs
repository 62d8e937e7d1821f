// Prints the gzipped size of the JavaScript a first visit downloads (the entry chunk and every
// chunk it imports statically) and fails above the budget. Lazy routes are not counted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 300 * 1024;
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8'));

const entries = Object.entries(manifest).filter(([, chunk]) => chunk.isEntry);
if (entries.length === 0) {
  console.error('size: no entry chunk in dist/.vite/manifest.json');
  process.exit(1);
}
const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const dep of chunk.imports ?? []) visit(dep);
};
for (const [key] of entries) visit(key);

let total = 0;
const lazy = Object.values(manifest).filter((c) => c.file.endsWith('.js') && !initial.has(c.file));
for (const file of initial) {
  const gz = gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length;
  total += gz;
  console.log(`  ${file.padEnd(44)} ${(gz / 1024).toFixed(1).padStart(7)} KB gz`);
}
console.log(`initial JS: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB); ${lazy.length} lazy chunks not counted`);
if (total > BUDGET_BYTES) {
  console.error('size: initial JS is over budget');
  process.exit(1);
}
