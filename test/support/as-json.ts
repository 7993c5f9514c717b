// A value as its JSON says it: what a client of the report sees. Problems the witness index made
// carry where they go among causes under a symbol (src/core/causes/placement.ts), which JSON leaves
// out; two reports are the same report when their JSON is.
export function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
