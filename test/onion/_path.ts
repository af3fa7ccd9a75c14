/**
 * Test helper: routes the output of in-process {@link OnionNode}s to each other by address,
 * collecting what reaches addresses that are not nodes (the clients) and TCP sends.
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import type { KeyPair } from "../../lib/crypto/backend.ts";
import type { NodeInfo } from "../../lib/dht/packed_node.ts";
import { type Addr, formatAddr } from "../../lib/net/addr.ts";
import { OnionNode, type OnionNodeOptions, type OnionSend } from "../../lib/onion/mod.ts";

/** A node under test with its address and key. */
export interface TestNode {
  node: OnionNode;
  addr: Addr;
  keyPair: KeyPair;
}

/** In-process onion network. */
export class OnionTestNet {
  readonly nodes = new Map<string, TestNode>();
  readonly inbox = new Map<string, Uint8Array[]>();
  readonly tcp: { via: string; client: number; data: Uint8Array }[] = [];
  /** Every UDP datagram delivered, in order, for size checks. */
  readonly trace: { from: string; to: string; data: Uint8Array }[] = [];

  /** Adds a node at 10.0.0.<i>:33445 (fake close nodes unless given). */
  add(i: number, opts: Partial<OnionNodeOptions> = {}): TestNode {
    const keyPair = backend().keyPair();
    const addr = { hostname: `10.0.0.${i}`, port: 33445 };
    const node = new OnionNode({ keyPair, closestNodes: opts.closestNodes ?? fakeNodes, ...opts });
    const t = { node, addr, keyPair };
    this.nodes.set(formatAddr(addr), t);
    return t;
  }

  /** Delivers `sends` from `from` until nothing is left (bounded). */
  run(sends: OnionSend[], from: Addr, now: number): void {
    const queue = sends.map((s) => ({ s, from }));
    for (let steps = 0; queue.length > 0; steps++) {
      if (steps > 100) throw new Error("routing loop");
      const { s, from: src } = queue.shift()!;
      if (s.to === "tcp") {
        this.tcp.push({ via: formatAddr(src), client: s.client, data: s.data });
        continue;
      }
      const to = formatAddr(s.addr);
      this.trace.push({ from: formatAddr(src), to, data: s.data });
      const target = this.nodes.get(to);
      if (!target) {
        const box = this.inbox.get(to) ?? [];
        box.push(s.data);
        this.inbox.set(to, box);
        continue;
      }
      for (const out of target.node.handleUdp(s.data, src, now)) {
        queue.push({ s: out, from: target.addr });
      }
    }
  }

  /** Sends a datagram from a client address to a node and routes everything. */
  send(from: Addr, to: Addr, data: Uint8Array, now: number): void {
    this.run([{ to: "udp", addr: to, data }], from, now);
  }

  /** Takes the datagrams that reached `addr`. */
  take(addr: Addr): Uint8Array[] {
    const k = formatAddr(addr);
    const got = this.inbox.get(k) ?? [];
    this.inbox.delete(k);
    return got;
  }
}

/** Four deterministic close nodes, whatever the target. */
export function fakeNodes(_target: Uint8Array, count: number): NodeInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    publicKey: new Uint8Array(32).fill(i + 1),
    addr: { hostname: `10.9.9.${i + 1}`, port: 33445 },
  }));
}
