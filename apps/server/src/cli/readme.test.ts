// The README promises: its API walk-through works as written, and its configuration table
// lists every setting the server reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../config.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

// A user's BASH_ENV (sourced by non-interactive bash) must not change what the walk-through does.
const withoutBashEnv = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'BASH_ENV' && k !== 'ENV'));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

describe('README', () => {
  it('starts with exactly two set-up commands', () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(commands).toHaveLength(2);
    expect(commands[1]).toContain('npm test');
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toContain('npm test');
  });

  it('documents every setting in the configuration table', () => {
    for (const s of SETTINGS) expect(readme).toContain(`| \`${s.env}\` |`);
  });

  it('runs the API walk-through as written (on a free port, in a temporary folder)', async () => {
    const block = /<!-- walkthrough -->\n```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeTruthy();
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'rapport-walk-'));
    // A failed run must not leave the background server behind.
    const script =
      "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" +
      (block ?? '').replaceAll('3001', String(port)).replace('./walkthrough-data', path.join(dir, 'data')).replace('walkthrough.log', path.join(dir, 'log'));
    try {
      const res = spawnSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', script], {
        cwd: root,
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...withoutBashEnv(process.env), RAPPORT_PASSWORD_COST: '10' },
      });
      expect(res.stderr).toBe('');
      expect(res.stdout.trim().split('\n')).toEqual(['reply', 'note', 'resolved', 'Where is my order?']);
      expect(res.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
