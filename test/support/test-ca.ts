// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestTls {
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
  readonly caFile: string;
  readonly keyFile: string;
  readonly certFile: string;
}

export function makeServerCertificate(): TestTls {
  const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=test service CA',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'srv.key',
    '-out',
    'srv.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'srv.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'srv.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  const file = (f: string) => path.join(dir, f);
  const read = (f: string) => readFileSync(file(f), 'utf8');
  return {
    ca: read('ca.crt'),
    key: read('srv.key'),
    cert: read('srv.crt'),
    caFile: file('ca.crt'),
    keyFile: file('srv.key'),
    certFile: file('srv.crt'),
  };
}
