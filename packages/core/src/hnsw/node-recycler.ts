// The life of a node slot after its tombstone, on the writer's side (docs/adr/0008-slot-reuse-and-epoch-
// reclamation.md, docs/memory-model.md "The life of a slot"):
//
//   tombstoned ──beginRepair──► retiring ──pass on the pool, commitRepair──► retired (tag = epoch)
//        ▲                                                                         │ every reader pinned at or
//        │ forget / replaced vector                                                ▼ before the tag has left
//   live ◄──insert (hidden until linked)── reserved again ◄──take── free
//
// Only the writer thread touches this state; what readers see is the node's flags word, the retiring-set
// bitmap the pass reads and the arena's epoch words.
import type { KernelArena } from '../arena.js';
import { kFlagDeleted, kFlagHidden, kHFreeNodes, kHReserved, kNLevelFlags } from '../layout.js';

/** The retiring set of one repair: which nodes, and the bitmap over node ids the pass tests them with. */
export interface RetiringSet {
  /** Address of the bitmap (bit i = node i retires). */
  set: number;
  /** Bits in it (the reserved count when the repair began). */
  bits: number;
  nodes: Uint32Array;
}

export class NodeRecycler {
  readonly #arena: KernelArena;
  readonly #address: number;
  /** Tombstones not yet in a repair; undefined until the first repair scans the index for them. */
  #tombstones: number[] | undefined;
  #retiring: RetiringSet | undefined;
  /** Retired batches, oldest first, each reusable once no reader pinned at or before its tag is in flight. */
  readonly #limbo: { tag: number; nodes: Uint32Array }[] = [];
  readonly #free: number[] = [];
  #retired = 0;
  /** An index loaded from a file: its first `count` nodes share one upper-link region (freed as one). */
  packedUpper: { count: number; at: number; bytes: number } | undefined;

  constructor(arena: KernelArena, address: number) {
    this.#arena = arena;
    this.#address = address;
  }

  /** Tombstones waiting for a repair (nodes deleted but still linked into the graph). */
  get tombstones(): number {
    this.#tombstones ??= this.#scan();
    return this.#tombstones.length;
  }

  /** Nodes retired and not reused yet (in limbo or free). */
  get retired(): number {
    return this.#retired;
  }

  /** Nodes ready to be reserved again now. */
  get available(): number {
    this.#reclaim();
    return this.#free.length;
  }

  /** A repair is between beginRepair and commitRepair. */
  get repairing(): boolean {
    return this.#retiring !== undefined;
  }

  /** Node `id` was just tombstoned. */
  noteDeleted(id: number): void {
    this.#tombstones?.push(id);
  }

  /**
   * Fixes the retiring set: every current tombstone, marked in a fresh bitmap the pass reads. Undefined when
   * there is nothing to repair (or a repair is already open).
   */
  beginRepair(): RetiringSet | undefined {
    if (this.#retiring !== undefined) return undefined;
    const tombstones = this.#tombstones ?? this.#scan();
    if (tombstones.length === 0) {
      this.#tombstones = tombstones;
      return undefined;
    }
    this.#tombstones = [];
    const u32 = this.#arena.u32;
    const bits = u32[(this.#address + kHReserved) >>> 2];
    const bytes = Math.ceil(bits / 8);
    const set = this.#arena.alloc(bytes);
    // A view taken after the alloc: it may have grown the memory past the end of `u32`'s buffer.
    const u8 = new Uint8Array(this.#arena.u32.buffer, set, bytes);
    const nodes = Uint32Array.from(tombstones);
    for (const id of nodes) u8[id >>> 3] |= 1 << (id & 7);
    this.#retiring = { set, bits, nodes };
    return this.#retiring;
  }

  /**
   * The pass has run over every node: the retiring set is unreachable for any search that starts now. Retires
   * it under the current epoch (then advanced) and frees the bitmap. Returns how many nodes retired.
   */
  commitRepair(): number {
    const r = this.#retiring;
    if (r === undefined) return 0;
    this.#retiring = undefined;
    // An entry point in the set moves to the highest live node before the set retires.
    this.#arena.wasm.repairEntry(this.#address, r.set, r.bits);
    this.#arena.free(r.set, Math.ceil(r.bits / 8));
    this.#limbo.push({ tag: this.#arena.retire(), nodes: r.nodes });
    this.#retired += r.nodes.length;
    this.#publishCount();
    return r.nodes.length;
  }

  /** Drops an open repair without retiring anything (its nodes become plain tombstones again). */
  abandonRepair(): void {
    const r = this.#retiring;
    if (r === undefined) return;
    this.#retiring = undefined;
    this.#arena.free(r.set, Math.ceil(r.bits / 8));
    this.#tombstones?.push(...r.nodes);
  }

  /** A free node to reserve again, or -1. */
  take(): number {
    if (this.#free.length === 0) this.#reclaim();
    const id = this.#free.pop();
    if (id === undefined) return -1;
    this.#retired--;
    this.#publishCount();
    return id;
  }

  /** Moves every limbo batch no reader can still hold to the free stack (lowest ids on top). */
  #reclaim(): void {
    while (this.#limbo.length > 0 && this.#arena.reclaimable(this.#limbo[0].tag)) {
      const { nodes } = this.#limbo.shift()!;
      // Lowest ids are taken first: a reused batch then fills the front of the index, in order.
      for (let i = nodes.length - 1; i >= 0; i--) this.#free.push(nodes[i]);
    }
  }

  #publishCount(): void {
    // Atomic store: stats() on the main thread reads it.
    Atomics.store(this.#arena.u32, (this.#address + kHFreeNodes) >>> 2, this.#retired);
  }

  /** Every tombstone of the index (an index loaded from a file, or before its first repair). */
  #scan(): number[] {
    const found: number[] = [];
    const u32 = this.#arena.u32;
    const reserved = u32[(this.#address + kHReserved) >>> 2];
    for (let id = 0; id < reserved; id++) {
      const flags = u32[((this.#arena.wasm.nodeAddress(this.#address, id) >>> 0) + kNLevelFlags) >>> 2];
      if ((flags & kFlagDeleted) !== 0 && (flags & kFlagHidden) === 0) found.push(id);
    }
    return found;
  }
}
