/**
 * UDP probe programs run inside the lab's namespaces (`deno run -A --unstable-net probe.ts
 * MODE ...`). Messages are small JSON datagrams; each client mode prints one JSON line with
 * what it saw and exits by itself within its time bound.
 *
 * - `server`: in "inet", binds 203.0.113.10 and .11 on ports 3478 and 3479. `map` is
 *   answered with the sender's public address; `filter` is answered from each listed local
 *   socket (RFC 5780 CHANGE-REQUEST in spirit); `reg` pairs two names in a room and tells
 *   both, in the same instant, the other's public address.
 * - `behave`: mapping (public address seen by .10:3478 and by .11:3478 from one socket) and
 *   filtering (which of the four server sockets can reach a second socket after it sent only
 *   to .10:3478).
 * - `hairpin`: a second socket sends to the first socket's public address.
 * - `ping`: round trips to the server (delay and loss).
 * - `garbage`: hostile datagrams at the server, then its drop counter.
 * - `knock` / `send`: one packet to a far router first, then traffic the other way (the
 *   early-punch case the routers' WAN drop exists for).
 * - `punch`: naive simultaneous punching after a rendezvous introduction.
 * - `birthday-hard` / `birthday-easy`: 256 sockets on the symmetric side, random probes from
 *   the cone side.
 *
 * @example
 * ```ts ignore
 * // deno run -A --unstable-net test/lab/probe.ts behave --server 203.0.113.10 --alt 203.0.113.11
 * ```
 * @module
 */

import { Inbox, type Msg, parseAddr, send, showAddr } from "./probe_io.ts";
import { birthdayEasy, birthdayHard, punch } from "./probe_punch.ts";

const SERVER_IPS = ["203.0.113.10", "203.0.113.11"];
const SERVER_PORTS = [3478, 3479];

function arg(name: string, dflt: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? dflt : dflt;
}
const num = (name: string, dflt: number) => {
  const v = Number(arg(name, String(dflt)));
  if (!Number.isFinite(v)) throw new RangeError(`--${name} must be a number`);
  return v;
};

async function server(): Promise<void> {
  const socks = new Map<string, Deno.DatagramConn>();
  for (const ip of SERVER_IPS) {
    for (const port of SERVER_PORTS) {
      socks.set(`${ip}:${port}`, Deno.listenDatagram({ transport: "udp", hostname: ip, port }));
    }
  }
  const rooms = new Map<string, Map<string, { addr: Deno.NetAddr; via: string }>>();
  const inboxes: Inbox[] = [];
  let dropped = 0;
  const until = Date.now() + num("max-seconds", 600) * 1000;
  const stopTimer = setTimeout(() => Deno.exit(0), until - Date.now());
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  console.log(`ready ${[...socks.keys()].join(" ")}`);
  const handle = async (via: string, sock: Deno.DatagramConn, m: Msg, from: Deno.NetAddr) => {
    if (m.t === "map") {
      await send(sock, from, { t: "mapped", id: m.id, addr: showAddr(from), via });
    } else if (m.t === "stats") {
      const undecodable = inboxes.reduce((n, i) => n + i.dropped, 0);
      await send(sock, from, { t: "stats", id: m.id, dropped: dropped + undecodable });
    } else if (m.t === "filter" && Array.isArray(m.via)) {
      for (const v of m.via.slice(0, 8)) {
        const s = socks.get(String(v));
        if (s) await send(s, from, { t: "filtered", id: m.id, via: v });
      }
    } else if (m.t === "reg" && typeof m.room === "string" && typeof m.name === "string") {
      const room = rooms.get(m.room) ?? new Map();
      rooms.set(m.room, room);
      if (room.size >= 2 && !room.has(m.name)) return void dropped++;
      const first = !room.has(m.name);
      room.set(m.name, { addr: from, via });
      if (room.size < 2) return;
      const entries = [...room.entries()];
      const intro = async (to: string, other: string) => {
        const me = room.get(to)!, peer = room.get(other)!;
        await send(socks.get(me.via)!, me.addr, { t: "peer", addr: showAddr(peer.addr) });
      };
      if (first) {
        // Both learn about each other in the same instant.
        await Promise.all(entries.map(([n]) => intro(n, entries.find(([o]) => o !== n)![0])));
      } else {
        await intro(m.name, entries.find(([o]) => o !== m.name)![0]);
      }
    } else dropped++;
  };
  await Promise.all([...socks.entries()].map(async ([via, sock]) => {
    const inbox = new Inbox(sock);
    inboxes.push(inbox);
    while (Date.now() < until) {
      const got = await inbox.next(until);
      if (!got) break;
      await handle(via, sock, got.msg, got.from).catch(() => dropped++);
    }
  }));
  clearTimeout(stopTimer);
}

/**
 * Asks `server` for our public address from `sock`, up to 3 tries of 400 ms.
 *
 * @example
 * ```ts ignore
 * import { mapped } from "./probe.ts";
 * import { Inbox } from "./probe_io.ts";
 * const sock = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
 * const pub = await mapped(sock, new Inbox(sock), { transport: "udp", hostname: "203.0.113.10", port: 3478 });
 * ```
 */
export async function mapped(
  sock: Deno.DatagramConn,
  inbox: Inbox,
  server: Deno.NetAddr,
): Promise<string | null> {
  for (let i = 0; i < 3; i++) {
    const id = crypto.randomUUID();
    await send(sock, server, { t: "map", id });
    const end = Date.now() + 400;
    for (let got = await inbox.next(end); got; got = await inbox.next(end)) {
      if (got.msg.t === "mapped" && got.msg.id === id) return String(got.msg.addr);
    }
  }
  return null;
}

async function behave(): Promise<void> {
  const [ip1, ip2] = [arg("server", SERVER_IPS[0]!), arg("alt", SERVER_IPS[1]!)];
  const base = num("port", 40001);
  const s1 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: base });
  const in1 = new Inbox(s1);
  const viaPrimary = await mapped(s1, in1, { transport: "udp", hostname: ip1, port: 3478 });
  const viaAlternate = await mapped(s1, in1, { transport: "udp", hostname: ip2, port: 3478 });
  in1.close();
  const s2 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: base + 1 });
  const in2 = new Inbox(s2);
  const id = crypto.randomUUID();
  const via = [`${ip1}:3478`, `${ip2}:3478`, `${ip1}:3479`, `${ip2}:3479`];
  const seen = new Set<string>();
  for (let i = 0; i < 2; i++) {
    await send(s2, { transport: "udp", hostname: ip1, port: 3478 }, { t: "filter", id, via });
    const end = Date.now() + 400;
    for (let got = await in2.next(end); got; got = await in2.next(end)) {
      if (got.msg.t === "filtered" && got.msg.id === id) seen.add(showAddr(got.from));
    }
  }
  in2.close();
  console.log(JSON.stringify({
    mapping: { viaPrimary, viaAlternate },
    filtering: {
      sameEndpoint: seen.has(via[0]!),
      otherAddress: seen.has(via[1]!),
      otherPort: seen.has(via[2]!),
      otherBoth: seen.has(via[3]!),
    },
  }));
}

async function hairpin(): Promise<void> {
  const base = num("port", 40003);
  const s1 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: base });
  const s2 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: base + 1 });
  const in1 = new Inbox(s1);
  const server = { transport: "udp" as const, hostname: arg("server", SERVER_IPS[0]!), port: 3478 };
  const pub = await mapped(s1, in1, server);
  let from: string | null = null;
  if (pub) {
    const to = parseAddr(pub);
    for (let i = 0; i < 5 && from === null; i++) {
      await send(s2, to, { t: "hairpin" });
      const end = Date.now() + 150;
      for (let got = await in1.next(end); got; got = await in1.next(end)) {
        if (got.msg.t === "hairpin") from = showAddr(got.from);
      }
    }
  }
  in1.close();
  s2.close();
  console.log(JSON.stringify({ mapped: pub, received: from !== null, from }));
}

async function ping(): Promise<void> {
  const count = Math.min(num("count", 20), 1000);
  const gap = Math.max(num("interval", 20), 1);
  const s = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const inbox = new Inbox(s);
  const server = { transport: "udp" as const, hostname: arg("server", SERVER_IPS[0]!), port: 3478 };
  const sentAt = new Map<string, number>();
  const rtts: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(i);
    sentAt.set(id, performance.now());
    await send(s, server, { t: "map", id });
    const end = Date.now() + gap;
    for (let got = await inbox.next(end); got; got = await inbox.next(end)) {
      const t0 = sentAt.get(String(got.msg.id));
      if (got.msg.t === "mapped" && t0 !== undefined) rtts.push(performance.now() - t0);
    }
  }
  const end = Date.now() + 1000;
  for (let got = await inbox.next(end); got; got = await inbox.next(end)) {
    const t0 = sentAt.get(String(got.msg.id));
    if (got.msg.t === "mapped" && t0 !== undefined) rtts.push(performance.now() - t0);
  }
  inbox.close();
  rtts.sort((a, b) => a - b);
  console.log(JSON.stringify({
    sent: count,
    received: rtts.length,
    medianRttMs: rtts[Math.floor(rtts.length / 2)] ?? null,
  }));
}

/** `knock`: from `--port`, send once to `--to`, then report the first sender heard. */
async function knock(): Promise<void> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: num("port", 0) });
  const inbox = new Inbox(s);
  await send(s, parseAddr(arg("to", "")), { t: "knock" });
  const got = await inbox.next(Date.now() + Math.min(num("wait", 2000), 10_000));
  inbox.close();
  console.log(JSON.stringify({ heard: got ? showAddr(got.from) : null }));
}

/** `send`: from `--port`, send `--count` packets to `--to`, `--interval` ms apart. */
async function sendMany(): Promise<void> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: num("port", 0) });
  const to = parseAddr(arg("to", ""));
  const count = Math.min(num("count", 5), 1000);
  for (let i = 0; i < count; i++) {
    await send(s, to, { t: "data", n: i });
    await new Promise((r) => setTimeout(r, Math.min(num("interval", 50), 1000)));
  }
  s.close();
  console.log(JSON.stringify({ sent: count }));
}

/**
 * `garbage`: `--count` hostile datagrams to the server (random bytes, truncated and
 * bit-flipped messages, unknown types, oversized), then the server's drop counter and
 * whether it still answers.
 */
async function garbage(): Promise<void> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const inbox = new Inbox(s);
  const server = { transport: "udp" as const, hostname: arg("server", SERVER_IPS[0]!), port: 3478 };
  const count = Math.min(num("count", 200), 10_000);
  const good = new TextEncoder().encode(JSON.stringify({ t: "reg", room: "x", name: "y" }));
  for (let i = 0; i < count; i++) {
    let b: Uint8Array;
    if (i % 4 === 0) b = crypto.getRandomValues(new Uint8Array(1 + (i % 200)));
    else if (i % 4 === 1) b = good.subarray(0, i % good.length);
    else if (i % 4 === 2) {
      b = good.slice();
      b[i % b.length]! ^= 1 << (i % 8);
      b[0] = 0x5b; // "[": never a message object, whatever the flip did
    } else b = new TextEncoder().encode(JSON.stringify({ t: `nope${i}`, via: [1, 2] }));
    try {
      await s.send(b, server);
    } catch { /* like a lost datagram */ }
    // Paced so the server's receive buffer never overflows: every datagram must be counted.
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
  const id = crypto.randomUUID();
  let stats: number | null = null;
  for (let i = 0; i < 3 && stats === null; i++) {
    await send(s, server, { t: "stats", id });
    const end = Date.now() + 400;
    for (let got = await inbox.next(end); got; got = await inbox.next(end)) {
      if (got.msg.t === "stats" && got.msg.id === id) stats = Number(got.msg.dropped);
    }
  }
  const still = await mapped(s, inbox, server);
  inbox.close();
  console.log(JSON.stringify({ sent: count, dropped: stats, answers: still !== null }));
}

const modes: Record<string, () => Promise<void>> = {
  garbage,
  knock,
  send: sendMany,
  server,
  behave,
  hairpin,
  ping,
  punch: () => punch(arg, num),
  "birthday-hard": () => birthdayHard(arg, num),
  "birthday-easy": () => birthdayEasy(arg, num),
};

if (import.meta.main) {
  const mode = modes[Deno.args[0] ?? ""];
  if (!mode) {
    console.error(`usage: probe.ts ${Object.keys(modes).join("|")} [--flags]`);
    Deno.exit(2);
  }
  try {
    await mode();
    Deno.exit(0);
  } catch (e) {
    console.error(`probe ${Deno.args[0]}: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
