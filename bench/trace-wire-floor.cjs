'use strict';
// The least any Node process has to do for the bench's cold trace: start, and make the same requests
// (mirror ping and manifest over TLS with Basic auth; then, side by side, a HEAD of the manifest's
// config and layers on the mirror and the stale check's HTTPS attempt, ping and HEAD on the plain-HTTP
// source), with nothing else: no configuration, no output. Its wall time is the floor under a cold
// `mirrorscope trace` on this machine.
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');

const [mirror, source, caFile, username, password, repoPath] = process.argv.slice(2);
const secureContext = tls.createSecureContext({ ca: [fs.readFileSync(caFile, 'utf8')] });
const mirrorAgent = new https.Agent({ keepAlive: true, secureContext });
const sourceAgent = new http.Agent({ keepAlive: true });

function request(client, url, options) {
  return new Promise((resolve) => {
    const req = client.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', () => resolve({ status: -1, body: Buffer.alloc(0) }));
    req.end();
  });
}

(async () => {
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  await request(https, `https://${mirror}/v2/`, { agent: mirrorAgent });
  const manifest = await request(https, `https://${mirror}/v2/${repoPath}`, {
    agent: mirrorAgent,
    headers: { authorization: auth, accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  const doc = JSON.parse(manifest.body.toString('utf8'));
  const repo = repoPath.slice(0, repoPath.indexOf('/manifests/'));
  const blobs = [doc.config.digest, ...doc.layers.map((l) => l.digest)].map((digest) =>
    request(https, `https://${mirror}/v2/${repo}/blobs/${digest}`, {
      agent: mirrorAgent,
      method: 'HEAD',
      headers: { authorization: auth },
    }),
  );
  const staleCheck = (async () => {
    await request(https, `https://${source}/v2/`, { rejectUnauthorized: false });
    await request(http, `http://${source}/v2/`, { agent: sourceAgent });
    await request(http, `http://${source}/v2/${repoPath}`, { agent: sourceAgent, method: 'HEAD' });
  })();
  const heads = await Promise.all(blobs);
  await staleCheck;
  mirrorAgent.destroy();
  sourceAgent.destroy();
  process.exitCode = manifest.status === 200 && heads.every((h) => h.status === 200) ? 0 : 1;
})();
