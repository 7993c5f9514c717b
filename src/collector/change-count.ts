// A counter of changes to the report's inputs other than the agents' (Node objects, pull events,
// cluster intent, admission): with the node store's version it says whether a cached report is current.
export class ChangeCount {
  private count = 0;

  get value(): number {
    return this.count;
  }

  /** Bound, so it can be handed out as an `onChange` callback. */
  readonly bump = (): void => {
    this.count++;
  };
}
