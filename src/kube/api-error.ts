// One line for a failed Kubernetes API call. client-node 1.4's ApiException carries the response
// body as a JSON *string* and its `message` embeds every response header, so never log it raw.
// Recognised by shape, not `instanceof`, so this module does not load client-node (~70 MiB).

interface ApiExceptionShape {
  readonly code: number;
  readonly body: unknown;
  readonly headers: unknown;
}

function isApiException(err: unknown): err is Error & ApiExceptionShape {
  return (
    err instanceof Error &&
    typeof (err as Partial<ApiExceptionShape>).code === 'number' &&
    'body' in err &&
    'headers' in err
  );
}

export function kubeStatusCode(err: unknown): number | null {
  if (isApiException(err)) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : null;
}

export function describeKubeError(err: unknown): string {
  if (isApiException(err)) {
    let detail = '';
    const body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: unknown; reason?: unknown };
        detail = [status.reason, status.message].filter((s) => typeof s === 'string' && s !== '').join(': ');
      } catch {
        detail = body.slice(0, 200);
      }
    }
    return `HTTP ${err.code}${detail === '' ? '' : ` ${detail}`}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const status = (err as { statusCode?: unknown }).statusCode;
    const prefix =
      typeof code === 'string' ? `${code}: ` : typeof status === 'number' ? `HTTP ${status}: ` : '';
    return `${prefix}${err.message.split('\n')[0]}`;
  }
  return String(err);
}
