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

/**
 * eventually() for tests that run agent processes: a minute, and a failure carries what each agent
 * printed last (what it saw).
 */
export function eventuallyWithAgents(
  agents: readonly { readonly node: string; output(): string }[],
): <T>(fn: () => Promise<T>, what: string) => Promise<T> {
  return async (fn, what) => {
    try {
      return await eventually(fn, what, 60_000, 300);
    } catch (err) {
      const outputs = agents.map((a) => `--- ${a.node}\n${a.output().slice(-3000)}`).join('\n');
      throw new Error(`${(err as Error).message}\n${outputs}`, { cause: err });
    }
  };
}
