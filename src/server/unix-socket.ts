// A unix socket file outlives a server killed without its shutdown (SIGKILL after a stuck liveness probe,
// the OOM killer): its path is still taken, and the next bind fails with EADDRINUSE — in a sidecar whose
// socket lies in an emptyDir, a restart loop until the pod goes. Before binding, a socket file that no
// process answers on is removed; one a live server answers on is left, and the bind then fails as it should.
import fs from 'node:fs';
import net from 'node:net';

/** The file of a `unix:` gRPC address (`unix:relative/or/absolute`, `unix:///absolute`); undefined for others. */
export function unixSocketPath(address: string): string | undefined {
  if (address.startsWith('unix://')) return address.slice('unix://'.length);
  if (address.startsWith('unix:')) return address.slice('unix:'.length);
  return undefined;
}

/** Removes `file` when it is a socket nothing listens on (connecting is refused); true if it did. */
export async function removeStaleSocket(file: string): Promise<boolean> {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stat?.isSocket()) return false;
  const refused = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
  if (refused) fs.rmSync(file, { force: true });
  return refused;
}
