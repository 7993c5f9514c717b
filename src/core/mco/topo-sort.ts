// The deterministic "topological sort, if possible" of runtime-utils `topo.go` that orders the merged
// mirror lists of one source. Ties and cycle breaks follow byte-wise string order (Go `<`), never
// locale order; a node taken to break a cycle keeps its remaining in-edges ignored.

interface TopoNode {
  readonly name: string;
  used: boolean;
  readonly ins: Set<TopoNode>;
  readonly outs: Set<TopoNode>;
}

function byName(a: TopoNode, b: TopoNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export class TopoGraph {
  private readonly nodes = new Map<string, TopoNode>();

  private node(name: string): TopoNode {
    let n = this.nodes.get(name);
    if (n === undefined) {
      n = { name, used: false, ins: new Set(), outs: new Set() };
      this.nodes.set(name, n);
    }
    return n;
  }

  addEdge(from: string, to: string): void {
    const f = this.node(from);
    const t = this.node(to);
    f.outs.add(t);
    t.ins.add(f);
  }

  /** Kahn's algorithm with a FIFO queue; consumes the graph. */
  sorted(): string[] {
    const all = [...this.nodes.values()].sort(byName);
    const queue: TopoNode[] = all.filter((n) => n.ins.size === 0);
    let head = 0;
    let allIndex = 0;
    const result: string[] = [];
    while (head < queue.length || allIndex < all.length) {
      let node: TopoNode;
      if (head < queue.length) node = queue[head++]!;
      else {
        node = all[allIndex++]!;
        if (node.used) continue;
      }
      node.used = true;
      result.push(node.name);
      const next: TopoNode[] = [];
      for (const out of node.outs) {
        out.ins.delete(node);
        if (out.ins.size === 0 && !out.used) next.push(out);
      }
      queue.push(...next.sort(byName));
    }
    return result;
  }
}
