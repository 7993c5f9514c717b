// The embedded lab `mirrorscope start` runs by default: a small disconnected cluster that needs no
// network. In-process registries on 127.0.0.1 answer for realistic names (quay.io, registry.redhat.io,
// registry-1.docker.io, mirror.corp.example:5000, nexus.corp.example:8443) through connect-to routes;
// they hold real OCI images built at start, TLS certificates from two CAs made at start (a "public"
// one every node trusts, the corporate one the mirrors use), GPG simple signatures in a lookaside
// store and sigstore attachments. The three example nodes (examples/lab/nodes) are copied to a
// private directory and completed with what is generated here: the CA bundles and the policy keys.
//
// Together the nodes show each failure class once:
//   - a tag pull that skips digest-only mirrors (quay.io/acme/payments-api:1.8.2, source blocked);
//   - local-only signature storage (the acme mirror's signatures are looked up in a node-local
//     file:// store, so the digest pull is rejected);
//   - a mirror that lacks an image (ocp-release@…: the pull falls back to quay.io);
//   - a stale mirror tag (nginx:1.27 on the mirror is an older build than docker.io's);
//   - a pull-secret key that does not match the mirror host ("nexus.corp.example" for
//     nexus.corp.example:8443);
//   - a missing CA (worker-1's trust bundle lacks the corporate CA);
//   - drift from the rendered configuration (worker-2's hand-written registries.conf.d drop-in).
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImageList } from '../host/image-list.js';
import type { ConnectRoute } from '../probe/connect-to.js';
import { buildImage, type OciImage } from './oci.js';
import { RegistryServer, type LabUser } from './registry-server.js';
import { createGpgSigner, createSigstoreSigner, sigstoreTag } from './signing.js';
import { createCertificateAuthority } from './x509.js';

export const LAB_DIR = fileURLToPath(new URL('../../examples/lab/', import.meta.url));

export interface LabNode {
  readonly name: string;
  /** The node root, completed with the generated files (a private temporary directory). */
  readonly root: string;
  /** What this node shows. */
  readonly story: string;
}

export interface RunningLab {
  readonly nodes: readonly LabNode[];
  readonly images: readonly string[];
  readonly routes: readonly ConnectRoute[];
  /** `--connect-to` flags that reach this lab from another mirrorscope process. */
  readonly connectToFlags: readonly string[];
  stop(): Promise<void>;
}

interface NodeSpec {
  readonly name: string;
  readonly dir: string;
  readonly trustsCorporateCa: boolean;
  readonly story: string;
}

const NODES: readonly NodeSpec[] = [
  { name: 'worker-0', dir: 'worker-0', trustsCorporateCa: true, story: 'healthy worker' },
  {
    name: 'worker-1',
    dir: 'worker-1-missing-ca',
    trustsCorporateCa: false,
    story: "worker missing the mirror's CA",
  },
  {
    name: 'worker-2',
    dir: 'worker-2-hand-edited',
    trustsCorporateCa: true,
    story: 'worker with a hand-edited drop-in',
  },
];

// Lab credentials, as in the example pull secret (fake, and only ever sent to 127.0.0.1).
const USERS = {
  mirror: { username: 'ocp-mirror', password: 'lab-mirror-password' },
  nexus: { username: 'nexus-reader', password: 'lab-nexus-password' },
  quay: { username: 'acme+robot', password: 'lab-quay-token' },
  redhat: { username: '11009103|ocp', password: 'lab-redhat-token' },
} satisfies Record<string, LabUser>;

/** Where an OpenShift additionalTrustBundle ends up on RHCOS (and the first bundle Go finds there). */
const TRUST_BUNDLE = '/etc/pki/tls/certs/ca-bundle.crt';

/** A plain-HTTP signature store (lookaside): `path → bytes`, 404 for everything else. */
function lookasideServer(files: ReadonlyMap<string, Buffer>): http.Server {
  return http.createServer((req, res) => {
    const file = req.method === 'GET' ? files.get(new URL(req.url ?? '/', 'http://x').pathname) : undefined;
    if (file === undefined) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    else res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(file);
  });
}

function listenHttp(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

export async function startLab(): Promise<RunningLab> {
  const publicCa = createCertificateAuthority('Lab Public Root CA');
  const corporateCa = createCertificateAuthority('Corp Example Internal CA');
  const tlsFor = (ca: typeof publicCa, names: readonly string[]) => {
    const c = ca.issue(names);
    return { cert: c.pem, key: c.keyPem };
  };
  const [acmeSigner, releaseSigner] = await Promise.all([
    createGpgSigner('ACME Release', 'release@acme.example'),
    createGpgSigner('OpenShift Release (lab)', 'release@lab.example'),
  ]);
  const artDevSigner = createSigstoreSigner();

  const quay = new RegistryServer({
    name: 'quay.io',
    auth: {
      type: 'bearer',
      service: 'quay.io',
      users: [USERS.quay],
      publicRepos: ['openshift-release-dev/ocp-release', 'openshift-release-dev/ocp-v4.0-art-dev'],
    },
    tls: tlsFor(publicCa, ['quay.io']),
  });
  const redhat = new RegistryServer({
    name: 'registry.redhat.io',
    auth: { type: 'bearer', service: 'docker-registry', users: [USERS.redhat], publicRepos: [] },
    tls: tlsFor(publicCa, ['registry.redhat.io']),
  });
  const dockerhub = new RegistryServer({
    name: 'registry-1.docker.io',
    auth: { type: 'bearer', service: 'registry.docker.io', users: [], publicRepos: ['library/nginx'] },
    tls: tlsFor(publicCa, ['registry-1.docker.io']),
  });
  const mirror = new RegistryServer({
    name: 'mirror.corp.example:5000',
    auth: { type: 'basic', realm: 'corp-mirror', users: [USERS.mirror] },
    tls: tlsFor(corporateCa, ['mirror.corp.example']),
  });
  const nexus = new RegistryServer({
    name: 'nexus.corp.example:8443',
    auth: { type: 'basic', realm: 'Sonatype Nexus Repository Manager', users: [USERS.nexus] },
    tls: tlsFor(corporateCa, ['nexus.corp.example']),
  });

  // The images. Each build has its own content, so its own digest.
  const payments = buildImage('acme payments-api 1.8.2');
  const release = buildImage('ocp-release 4.16.3 x86_64');
  const artDev = buildImage('ocp-v4.0-art-dev pod');
  const nginxNew = buildImage('nginx 1.27.3');
  const nginxOld = buildImage('nginx 1.27.0');
  const operatorIndex = buildImage('redhat-operator-index v4.16');

  quay.put('acme/payments-api', payments, ['1.8.2']);
  quay.put('openshift-release-dev/ocp-release', release, ['4.16.3-x86_64']);
  quay.put('openshift-release-dev/ocp-v4.0-art-dev', artDev);
  dockerhub.put('library/nginx', nginxNew, ['1.27']);
  redhat.put('redhat/redhat-operator-index', operatorIndex, ['v4.16']);
  // The mirror: payments-api by digest (oc-mirror pushes digests), art-dev but not this ocp-release,
  // an nginx:1.27 mirrored before docker.io rebuilt the tag, and the operator index.
  mirror.put('acme/payments-api', payments);
  mirror.put('ocp/release', artDev);
  mirror.put('dockerhub/library/nginx', nginxOld, ['1.27']);
  mirror.put('redhat/redhat-operator-index', operatorIndex);
  nexus.put('redhat/redhat-operator-index', operatorIndex);

  // Sigstore attachments for art-dev, wherever the image is.
  const artDevIdentity = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
  const attachment: OciImage = artDevSigner.attachment(artDevIdentity, artDev.digest);
  quay.put('openshift-release-dev/ocp-v4.0-art-dev', attachment, [sigstoreTag(artDev.digest)]);
  mirror.put('ocp/release', attachment, [sigstoreTag(artDev.digest)]);

  // The release's GPG signature in the lookaside store (paths exclude the registry host). The acme
  // images are signed too, but their signatures live only on the build node: nobody published them.
  const lookaside = new Map<string, Buffer>();
  const releaseSignature = await releaseSigner.sign(
    'quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64',
    release.digest,
  );
  lookaside.set(
    `/openshift/openshift-release-dev/ocp-release@${release.digest.replace(':', '=')}/signature-1`,
    releaseSignature,
  );
  const sigstore = lookasideServer(lookaside);

  const registries = [quay, redhat, dockerhub, mirror, nexus];
  let dir: string | null = null;
  const stop = async () => {
    await Promise.all([
      ...registries.map((r) => r.close()),
      new Promise<void>((resolve) => {
        if (!sigstore.listening) return resolve();
        sigstore.closeAllConnections();
        sigstore.close(() => resolve());
      }),
    ]);
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  };
  try {
    const [ports, sigstorePort] = await Promise.all([
      Promise.all(registries.map((r) => r.listen())),
      listenHttp(sigstore),
    ]);
    const [quayPort, redhatPort, dockerPort, mirrorPort, nexusPort] = ports as [
      number,
      number,
      number,
      number,
      number,
    ];
    const route = (host: string, port: number, targetPort: number): ConnectRoute => ({
      host,
      port,
      address: '127.0.0.1',
      targetPort,
    });
    const routes = [
      route('quay.io', 443, quayPort),
      route('registry.redhat.io', 443, redhatPort),
      route('registry-1.docker.io', 443, dockerPort),
      route('mirror.corp.example', 5000, mirrorPort),
      route('nexus.corp.example', 8443, nexusPort),
      route('sigstore.corp.example', 80, sigstorePort),
    ];

    dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-lab-'));
    const nodes: LabNode[] = [];
    for (const spec of NODES) {
      const root = path.join(dir, spec.name);
      await cp(path.join(LAB_DIR, 'nodes', spec.dir), root, { recursive: true });
      const write = async (nodePath: string, content: string | Buffer) => {
        const real = path.join(root, nodePath);
        await mkdir(path.dirname(real), { recursive: true });
        await writeFile(real, content);
      };
      await write(
        TRUST_BUNDLE,
        publicCa.certificate.pem + (spec.trustsCorporateCa ? corporateCa.certificate.pem : ''),
      );
      await write('/etc/pki/containers/acme-release.gpg', acmeSigner.publicKey);
      await write('/etc/pki/containers/release.gpg', releaseSigner.publicKey);
      await write('/etc/pki/containers/art-dev.pub', artDevSigner.publicKeyPem);
      nodes.push({ name: spec.name, root, story: spec.story });
    }
    return {
      nodes,
      images: await readImageList(path.join(LAB_DIR, 'images.txt')).then((list) =>
        list.map((line) =>
          line
            .replace('${PAYMENTS_DIGEST}', payments.digest)
            .replace('${RELEASE_DIGEST}', release.digest)
            .replace('${ART_DEV_DIGEST}', artDev.digest)
            .replace('${OPERATOR_INDEX_DIGEST}', operatorIndex.digest),
        ),
      ),
      routes,
      connectToFlags: routes.map((r) => `--connect-to=${r.host}:${r.port}=${r.address}:${r.targetPort}`),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
