// Files on the data folder (attachments): content-addressed by a random key, written before the
// transaction that names them commits (an orphan file is harmless; a row naming a missing file is
// not), removed after the rows that named them are gone.
import { mkdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { createReadStream, type ReadStream } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export type FileStore = {
  /** Stores the bytes under a new key for the workspace and returns the key. */
  put(workspaceId: string, content: Buffer): Promise<string>;
  open(key: string): Promise<{ stream: ReadStream; size: number } | null>;
  read(key: string): Promise<Buffer | null>;
  remove(keys: string[]): Promise<void>;
  pathOf(key: string): string;
};

const KEY = /^wsp_[0-9a-f]{32}\/[0-9a-f]{32}$/;

export function createFileStore(root: string): FileStore {
  const base = path.resolve(root);
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new Error(`not a file key: ${key}`);
    return path.join(base, key);
  };
  return {
    pathOf,
    async put(workspaceId, content) {
      const key = `${workspaceId}/${randomBytes(16).toString('hex')}`;
      const file = pathOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content, { flag: 'wx' });
      return key;
    },
    async open(key) {
      try {
        const file = pathOf(key);
        const { size } = await stat(file);
        return { stream: createReadStream(file), size };
      } catch {
        return null;
      }
    },
    async read(key) {
      try {
        return await readFile(pathOf(key));
      } catch {
        return null;
      }
    },
    async remove(keys) {
      await Promise.all(keys.filter((k) => KEY.test(k)).map((k) => rm(pathOf(k), { force: true })));
    },
  };
}
