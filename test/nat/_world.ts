/**
 * A tiny virtual-time world for NAT discovery tests: one client behind a modelled NAT, STUN
 * servers given as pure functions, fixed one-way latency and a loss rule.
 * @module
 */
import type { Addr } from "../../lib/net/addr.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import type { NatDiscovery } from "../../lib/nat/discovery.ts";
import type { NatReport } from "../../lib/nat/report.ts";
import { decodeStun, encodeStun, findAttribute } from "../../lib/nat/wire.ts";

/** A server: answers a datagram sent to `to` from `from`, or stays silent. */
export type ServerModel = (
  from: Addr,
  to: Addr,
  data: Uint8Array,
  now: number,
) => { from: Addr; data: Uint8Array } | null;

/** How the modelled NAT maps and filters. */
export interface NatModel {
  mapping: "ei" | "ad" | "apd";
  filtering: "ei" | "ad" | "apd";
  hairpin: boolean;
  /** Keep the local port for the first mapping. */
  preservePort: boolean;
}

/** Datagrams in flight in one direction. */
interface Flight {
  at: number;
  from: Addr;
  to: Addr;
  data: Uint8Array;
}

export const LOCAL: Addr = { hostname: "10.0.0.2", port: 5000 };
export const PUBLIC_IP = "203.0.113.1";

/** Runs `d` to completion in virtual time; returns the report and the end time. */
export function runWorld(
  d: NatDiscovery,
  servers: ReadonlyMap<string, ServerModel>,
  opts: { nat?: NatModel; latency?: number; drop?: (n: number, f: Flight) => boolean } = {},
): { report: NatReport; now: number; delivered: number } {
  const latency = opts.latency ?? 10;
  const nat = opts.nat;
  const mappings = new Map<string, number>(); // mapping key -> public port
  const permissions = new Set<string>(); // filter keys opened by outbound packets
  const flights: Flight[] = [];
  let now = 0, sent = 0, delivered = 0;

  const publicFor = (to: Addr): Addr => {
    if (!nat) return LOCAL;
    const key = nat.mapping === "ei" ? "*" : nat.mapping === "ad" ? to.hostname : formatAddr(to);
    let port = mappings.get(key);
    if (port === undefined) {
      port = nat.preservePort && mappings.size === 0 ? LOCAL.port : 40000 + mappings.size;
      mappings.set(key, port);
    }
    return { hostname: PUBLIC_IP, port };
  };
  const filterKey = (remote: Addr, pub: Addr): string =>
    nat!.filtering === "ei"
      ? `${pub.port}`
      : nat!.filtering === "ad"
      ? `${pub.port}/${remote.hostname}`
      : `${pub.port}/${formatAddr(remote)}`;

  const pump = () => {
    for (const t of d.pollTransmit()) {
      const pub = publicFor(t.to);
      const f: Flight = { at: now + latency, from: pub, to: t.to, data: t.data };
      if (opts.drop?.(sent++, f)) continue;
      if (nat) permissions.add(filterKey(t.to, pub));
      if (t.to.hostname === PUBLIC_IP || (!nat && t.to.hostname === LOCAL.hostname)) {
        if (!nat || nat.hairpin) flights.push({ ...f, to: LOCAL, from: pub });
        continue;
      }
      flights.push(f);
    }
  };
  const deliverToClient = (f: Flight) => {
    if (nat && f.to !== LOCAL) {
      if (f.to.hostname !== PUBLIC_IP) return;
      if (!permissions.has(filterKey(f.from, f.to))) return;
    }
    delivered++;
    d.handleDatagram(f.from, f.data, now);
  };

  pump();
  for (let steps = 0; steps < 10_000 && !d.done; steps++) {
    flights.sort((a, b) => a.at - b.at);
    const t = d.nextTimeout();
    const f = flights[0];
    if (f && (t === null || f.at <= t)) {
      flights.shift();
      now = f.at;
      if (f.to === LOCAL || f.to.hostname === PUBLIC_IP) deliverToClient(f);
      else {
        const server = servers.get(f.to.hostname);
        const r = server?.(f.from, f.to, f.data, now);
        const back: Flight | null = r
          ? { at: now + latency, from: r.from, to: f.from, data: r.data }
          : null;
        if (back && !opts.drop?.(sent++, back)) flights.push(back);
      }
    } else if (t !== null) {
      now = t;
      d.handleTimeout(now);
    } else break;
    pump();
  }
  return { report: d.report(), now, delivered };
}

/**
 * A pure model of an RFC 5780 server on `primary` with an optional `alternate` IP and port:
 * answers Binding requests from the address CHANGE-REQUEST asks for.
 */
export function modelServer(primary: Addr, alternate: Addr | null): ServerModel {
  return (from, to, data) => {
    let req;
    try {
      req = decodeStun(data);
    } catch {
      return null;
    }
    if (req.class !== "request" || (to.port !== primary.port && to.port !== alternate?.port)) {
      return null;
    }
    const change = findAttribute(req, "changeRequest");
    const other = alternate && {
      hostname: to.hostname === primary.hostname ? alternate.hostname : primary.hostname,
      port: to.port === primary.port ? alternate.port : primary.port,
    };
    const src = {
      hostname: change?.changeIp && other ? other.hostname : to.hostname,
      port: change?.changePort && other ? other.port : to.port,
    };
    return {
      from: src,
      data: encodeStun({
        class: "success",
        method: 1,
        transactionId: req.transactionId,
        attributes: [
          { type: "xorMappedAddress", addr: from },
          ...(other ? [{ type: "otherAddress", addr: other } as const] : []),
        ],
      }),
    };
  };
}
