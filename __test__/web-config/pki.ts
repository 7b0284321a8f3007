// A throwaway certificate authority made with openssl: a CA, a server certificate for 127.0.0.1
// and client certificates (one from the CA, one from a stranger CA), in a fresh directory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from '@node-rs/bcrypt';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function ca(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`], dir);
}

function signed(dir: string, caName: string, name: string, san: string, usage: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
}

export interface Pki {
  dir: string;
  /** File names inside dir: ca.crt, server.crt/.key, client.crt/.key, stranger-client.crt/.key, server2.crt/.key. */
  path(name: string): string;
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-webconfig-'));
  ca(dir, 'ca');
  ca(dir, 'stranger');
  signed(dir, 'ca', 'server', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  signed(dir, 'ca', 'server2', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  signed(dir, 'ca', 'client', 'DNS:scraper.test', 'clientAuth');
  signed(dir, 'stranger', 'stranger-client', 'DNS:scraper.test', 'clientAuth');
  return { dir, path: (name) => join(dir, name) };
}

/** A bcrypt hash for basic_auth_users (cost 4: tests need not be slow). */
export function bcryptHash(password: string): string {
  return hashSync(password, 4);
}
