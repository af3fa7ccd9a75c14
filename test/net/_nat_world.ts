/**
 * A small world for NAT tests: a memory network in virtual time with three public servers
 * that record the source address of every datagram and can send to any address.
 * @module
 */
import {
  type Addr,
  type Endpoint,
  formatAddr,
  MemoryNetwork,
  Nat,
  type NatOptions,
  VirtualClock,
} from "../../lib/net/mod.ts";

/** Server addresses: S1 and S2 share an IP (different ports), S3 has another IP. */
export const S1: Addr = { hostname: "203.0.113.10", port: 3478 };
/** Same IP as {@link S1}, another port. */
export const S2: Addr = { hostname: "203.0.113.10", port: 3479 };
/** Another IP. */
export const S3: Addr = { hostname: "203.0.113.11", port: 3478 };

/** A public endpoint that records who sent to it. */
export interface Server {
  /** The endpoint. */
  ep: Endpoint;
  /** `ip:port` of each sender, in order. */
  from: string[];
}

/** The test world. */
export interface World {
  clock: VirtualClock;
  net: MemoryNetwork;
  servers: [Server, Server, Server];
  /** A NAT on the network. */
  nat(opts: Partial<NatOptions> & { publicIp?: string }): Nat;
}

/** A fresh world with `latencyMs` one-way delay between public endpoints. */
export function world(latencyMs = 0): World {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, latencyMs });
  const server = (a: Addr): Server => {
    const s: Server = { ep: undefined as unknown as Endpoint, from: [] };
    s.ep = net.attach(a, (_d, from) => s.from.push(formatAddr(from)));
    return s;
  };
  return {
    clock,
    net,
    servers: [server(S1), server(S2), server(S3)],
    nat: (opts) => new Nat(net, { publicIp: "203.0.113.1", ...opts }),
  };
}

/** A private host that counts what it receives, by sender. */
export interface Host {
  ep: Endpoint;
  got: string[];
}

/** Attaches a private host at `addr` behind `nat`. */
export function host(nat: Nat, addr: Addr): Host {
  const h: Host = { ep: undefined as unknown as Endpoint, got: [] };
  h.ep = nat.attach(addr, (_d, from) => h.got.push(formatAddr(from)));
  return h;
}

/** One byte. */
export const ONE: Uint8Array = new Uint8Array([1]);
