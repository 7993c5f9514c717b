// Terminal emphasis, only when writing to a terminal (and NO_COLOR is unset).
export interface Style {
  strong(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
  good(s: string): string;
}

const plain: Style = { strong: (s) => s, dim: (s) => s, warn: (s) => s, bad: (s) => s, good: (s) => s };

const ansi = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

const colored: Style = {
  strong: ansi(1, 22),
  dim: ansi(2, 22),
  warn: ansi(33, 39),
  bad: ansi(31, 39),
  good: ansi(32, 39),
};

export function styleFor(isTTY: boolean, env: NodeJS.ProcessEnv): Style {
  return isTTY && env.NO_COLOR === undefined ? colored : plain;
}
