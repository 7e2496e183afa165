// The one way fspd persists a file: write a uniquely named temporary file in the same directory, fsync it,
// rename it over the target, fsync the directory. A reader (or a restart after a crash) sees the old
// content or the new, never a mix; concurrent writers of one file never share a temporary name (the last
// rename wins); after the directory fsync the new content survives a power loss.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const TEMP_SUFFIX = '.tmp';

/** Writes `data` to `file` atomically and durably (see above); the temporary file is removed on failure. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/**
 * Removes the temporary files a killed writer left in `dir` (hidden names ending in .tmp); returns how
 * many. Call it only while nothing writes there (at start).
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith('.') && n.endsWith(TEMP_SUFFIX));
  await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { force: true })));
  return stale.length;
}

/** fsync of the directory makes the rename durable (not supported everywhere: then skipped). */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // e.g. Windows cannot open a directory; the rename itself is still atomic
  } finally {
    await handle?.close();
  }
}
