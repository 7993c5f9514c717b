'use strict';
// The least any Node process has to do for the bench's cold trace: start, and make the same five
// requests (mirror ping and manifest over TLS with Basic auth; the stale check's HTTPS attempt, ping
// and HEAD on the plain-HTTP source), with nothing else: no configuration, no output. Its wall time
// is the floor under a cold `mirrorscope trace` on this machine.
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
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(-1));
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
  await request(https, `https://${source}/v2/`, { rejectUnauthorized: false });
  await request(http, `http://${source}/v2/`, { agent: sourceAgent });
  await request(http, `http://${source}/v2/${repoPath}`, { agent: sourceAgent, method: 'HEAD' });
  mirrorAgent.destroy();
  sourceAgent.destroy();
  process.exitCode = manifest === 200 ? 0 : 1;
})();
