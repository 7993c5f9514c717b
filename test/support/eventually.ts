// Retries `fn` until it returns without throwing (or the time is up, then its last error, named).
export async function eventually<T>(
  fn: () => Promise<T> | T,
  what = 'the condition',
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
