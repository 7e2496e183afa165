// A throwaway PKI for TLS tests, made with the openssl command line: a CA, a server certificate for
// localhost / 127.0.0.1 and two client certificates (clientAuth, CN `fspd test client` and `fspd test
// client2`) it signed, EC P-256, valid one day.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  dir: string;
  /** Path of a file in dir: ca.pem, server.pem, server.key, client.pem, client.key, client2.pem, client2.key. */
  file(name: string): string;
  remove(): void;
}

/** Why TLS tests must skip (no openssl), or false. */
export function tlsSkipReason(): string | false {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl not found';
  }
}

export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  key('ca');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=fspd test CA');
  const clients = [['client', 'extendedKeyUsage=clientAuth'], ['client2', 'extendedKeyUsage=clientAuth']] as const;
  for (const [name, ext] of [['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], ...clients] as const) {
    key(name);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=fspd test ${name}`);
    fs.writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
  return { dir, file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
