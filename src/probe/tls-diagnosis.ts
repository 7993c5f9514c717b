// When a certificate is not trusted, say who issued it: one extra TLS handshake without verification,
// only to read the peer certificate's issuer (nothing is sent after the handshake).
import tls from 'node:tls';
import { routedTlsOptions } from './connect-to.js';

function name(dn: tls.Certificate | undefined): string {
  if (dn === undefined) return 'an unknown issuer';
  const parts = (['CN', 'O', 'OU'] as const)
    .map((k) => (dn[k] ? `${k}=${String(dn[k])}` : ''))
    .filter((s) => s !== '');
  return parts.length > 0 ? parts.join(', ') : 'an unnamed issuer';
}

export function peerIssuer(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let where: tls.ConnectionOptions;
    try {
      where = routedTlsOptions(host, port);
    } catch {
      resolve(null);
      return;
    }
    const socket = tls.connect({ ...where, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(
        cert && Object.keys(cert).length > 0
          ? `certificate for ${name(cert.subject)} issued by ${name(cert.issuer)}`
          : null,
      );
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}
