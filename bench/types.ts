/** One benchmark figure; the runner prints each as a JSON line on stdout. */
export interface BenchLine {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly [key: string]: unknown;
}

export type BenchModule = { run(): Promise<BenchLine[]> };

/** Human-readable figures go to stderr so stdout stays one JSON line per figure. */
export function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Imports a module of the production build (`npm run bench` builds dist/ first). */
export async function loadBuilt<T>(modulePath: string): Promise<T> {
  return (await import(new URL(`../dist/${modulePath}`, import.meta.url).href)) as T;
}
