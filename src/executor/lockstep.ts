/**
 * The linear strategy's gate. Every host of a batch runs as its own coroutine
 * and calls `enter(host, order)` before each task, where `order` is the task's
 * position in the play (document order, so block < rescue < always <
 * handlers). The gate lets the lowest waiting task start only when every
 * still-active host is waiting: so every host finishes task N before any host
 * starts task N+1, even across blocks and rescues. The free strategy has no gate.
 */
export interface Gate {
  enter(host: string, order: number): Promise<void>;
  leave(host: string): void;
}

export const freeGate: Gate = {
  enter: () => Promise.resolve(),
  leave: () => undefined,
};

export class LockstepGate implements Gate {
  private readonly active: Set<string>;
  /** Position of each host in the batch: released hosts are reported in this order. */
  private readonly rank: Map<string, number>;
  private readonly waiting = new Map<string, { order: number; release: () => void }>();

  constructor(
    hosts: Iterable<string>,
    private readonly onRelease?: (order: number, hosts: string[]) => void,
  ) {
    const list = [...hosts];
    this.active = new Set(list);
    this.rank = new Map(list.map((h, i) => [h, i]));
  }

  enter(host: string, order: number): Promise<void> {
    return new Promise((release) => {
      this.waiting.set(host, { order, release });
      this.pump();
    });
  }

  leave(host: string): void {
    this.active.delete(host);
    this.waiting.delete(host);
    this.pump();
  }

  private pump(): void {
    if (this.waiting.size === 0) return;
    for (const h of this.active) if (!this.waiting.has(h)) return;
    let min = Infinity;
    for (const w of this.waiting.values()) min = Math.min(min, w.order);
    const go: string[] = [];
    for (const [h, w] of this.waiting) if (w.order === min) go.push(h);
    go.sort((a, b) => (this.rank.get(a) ?? 0) - (this.rank.get(b) ?? 0));
    this.onRelease?.(min, go);
    for (const h of go) {
      const w = this.waiting.get(h)!;
      this.waiting.delete(h);
      w.release();
    }
  }
}
