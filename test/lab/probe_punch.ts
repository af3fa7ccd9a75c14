/**
 * Hole-punching probe modes: naive simultaneous punching and the birthday method, both
 * started by the lab server's rendezvous (`reg` → `peer`). Each prints one JSON line.
 *
 * @example
 * ```ts ignore
 * // inside host-a and host-b at the same time:
 * // probe.ts punch --room r1 --name a --timeout 3000
 * // probe.ts punch --room r1 --name b --timeout 3000
 * ```
 * @module
 */

import { Inbox, parseAddr, send, showAddr } from "./probe_io.ts";

type Arg = (name: string, dflt: string) => string;
type Num = (name: string, dflt: number) => number;

/**
 * How long a client keeps asking the rendezvous for its peer.
 *
 * @example
 * ```ts
 * import { REGISTER_TIMEOUT_MS } from "./probe_punch.ts";
 * console.assert(REGISTER_TIMEOUT_MS === 10_000);
 * ```
 */
export const REGISTER_TIMEOUT_MS = 10_000;

/** Registers in a room until the server introduces the peer; its public address or null. */
async function rendezvous(
  sock: Deno.DatagramConn,
  inbox: Inbox,
  arg: Arg,
): Promise<Deno.NetAddr | null> {
  const server = parseAddr(`${arg("server", "203.0.113.10")}:3478`);
  const reg = { t: "reg", room: arg("room", "r"), name: arg("name", "x") };
  const end = Date.now() + REGISTER_TIMEOUT_MS;
  while (Date.now() < end) {
    await send(sock, server, reg);
    const until = Math.min(end, Date.now() + 200);
    for (let got = await inbox.next(until); got; got = await inbox.next(until)) {
      if (got.msg.t === "peer" && typeof got.msg.addr === "string") return parseAddr(got.msg.addr);
    }
  }
  return null;
}

/**
 * Naive punching: after the introduction, send to the peer's introduced address (and to any
 * address it was seen from) every `--interval` ms for `--timeout` ms. Success when we heard
 * the peer and the peer says it heard us.
 *
 * @example
 * ```ts ignore
 * // inside a lab host: probe.ts punch --room r --name a --timeout 3000
 * ```
 */
export async function punch(arg: Arg, num: Num): Promise<void> {
  const timeout = Math.min(num("timeout", 3000), 30_000);
  const interval = Math.max(num("interval", 50), 5);
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const inbox = new Inbox(sock);
  const peer = await rendezvous(sock, inbox, arg);
  if (!peer) {
    inbox.close();
    console.log(JSON.stringify({ ok: false, error: "no introduction" }));
    return;
  }
  const t0 = performance.now();
  const end = Date.now() + timeout;
  let seen: Deno.NetAddr | null = null;
  let got = false, peerGot = false, firstMs: number | null = null, sent = 0;
  while (Date.now() < end && !(got && peerGot)) {
    for (const to of seen && showAddr(seen) !== showAddr(peer) ? [peer, seen] : [peer]) {
      await send(sock, to, { t: "punch", got });
      sent++;
    }
    const until = Math.min(end, Date.now() + interval);
    for (let m = await inbox.next(until); m; m = await inbox.next(until)) {
      if (m.msg.t !== "punch" || m.from.hostname !== peer.hostname) continue;
      if (!got) firstMs = performance.now() - t0;
      got = true;
      seen = m.from;
      if (m.msg.got === true) peerGot = true;
    }
  }
  // Tell the peer we heard it, in case our last packet was the one it was waiting for.
  if (got && seen) { for (let i = 0; i < 3; i++) await send(sock, seen, { t: "punch", got }); }
  inbox.close();
  console.log(JSON.stringify({
    ok: got && peerGot,
    got,
    peerGot,
    firstMs,
    sent,
    peer: showAddr(peer),
    seen: seen && showAddr(seen),
  }));
}

/**
 * The symmetric side of the birthday method: `--sockets` sockets (default 256) each send to
 * the peer's public address, then wait up to `--timeout` ms for a probe on any of them.
 *
 * @example
 * ```ts ignore
 * // inside the symmetric host: probe.ts birthday-hard --room b --name a --sockets 256
 * ```
 */
export async function birthdayHard(arg: Arg, num: Num): Promise<void> {
  const count = Math.min(Math.max(num("sockets", 256), 1), 1024);
  const timeout = Math.min(num("timeout", 5000), 30_000);
  const first = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const inbox = new Inbox(first);
  const peer = await rendezvous(first, inbox, arg);
  inbox.close();
  if (!peer) return console.log(JSON.stringify({ ok: false, error: "no introduction" }));
  const t0 = performance.now();
  const socks: Deno.DatagramConn[] = [];
  for (let i = 0; i < count; i++) {
    socks.push(Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 }));
  }
  let done: (v: { i: number; from: Deno.NetAddr } | null) => void = () => {};
  const hit = new Promise<{ i: number; from: Deno.NetAddr } | null>((r) => done = r);
  const timer = setTimeout(() => done(null), timeout);
  socks.forEach(async (s, i) => {
    for (let n = 0; n < 10_000; n++) {
      let got: [Uint8Array, Deno.Addr];
      try {
        got = await s.receive();
      } catch {
        return;
      }
      const from = got[1] as Deno.NetAddr;
      if (from.hostname === peer.hostname) return done({ i, from });
    }
  });
  await Promise.all(socks.map((s) => send(s, peer, { t: "open" })));
  const h = await hit;
  clearTimeout(timer);
  if (h) { for (let k = 0; k < 3; k++) await send(socks[h.i]!, h.from, { t: "hit", socket: h.i }); }
  for (const s of socks) s.close();
  console.log(JSON.stringify({
    ok: h !== null,
    socket: h?.i ?? null,
    ms: Math.round(performance.now() - t0),
    sockets: count,
  }));
}

/**
 * The cone side of the birthday method: random probes to ports 1024-65535 on the peer's IP at
 * `--rate` per second (default 500), until a `hit` comes back, `--max-probes` (default 3000)
 * are sent or `--timeout` ms (default 5000) pass.
 *
 * @example
 * ```ts ignore
 * // inside the cone host: probe.ts birthday-easy --room b --name b --rate 500
 * ```
 */
export async function birthdayEasy(arg: Arg, num: Num): Promise<void> {
  const rate = Math.min(Math.max(num("rate", 500), 1), 10_000);
  const maxProbes = Math.min(num("max-probes", 3000), 100_000);
  const timeout = Math.min(num("timeout", 5000), 30_000);
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const inbox = new Inbox(sock);
  const peer = await rendezvous(sock, inbox, arg);
  if (!peer) {
    inbox.close();
    return console.log(JSON.stringify({ ok: false, error: "no introduction" }));
  }
  const t0 = performance.now();
  const end = Date.now() + timeout;
  let probes = 0, hitAt: number | null = null, hitProbes = 0;
  while (Date.now() < end && hitAt === null) {
    const due = Math.min(maxProbes, Math.floor((performance.now() - t0) * rate / 1000) + 1);
    for (; probes < due; probes++) {
      const port = 1024 + Math.floor(Math.random() * (65536 - 1024));
      await send(sock, { ...peer, port }, { t: "probe", n: probes });
    }
    const until = Math.min(end, Date.now() + 10);
    for (let m = await inbox.next(until); m; m = await inbox.next(until)) {
      if (m.msg.t === "hit" && m.from.hostname === peer.hostname && hitAt === null) {
        hitAt = performance.now() - t0;
        hitProbes = probes;
      }
    }
    if (probes >= maxProbes && hitAt === null) {
      // Give the last probes time to be answered, then stop.
      const last = Math.min(end, Date.now() + 300);
      for (let m = await inbox.next(last); m && hitAt === null; m = await inbox.next(last)) {
        if (m.msg.t === "hit" && m.from.hostname === peer.hostname) {
          hitAt = performance.now() - t0;
          hitProbes = probes;
        }
      }
      break;
    }
  }
  inbox.close();
  console.log(JSON.stringify({
    ok: hitAt !== null,
    probes: hitAt !== null ? hitProbes : probes,
    ms: Math.round(hitAt ?? performance.now() - t0),
    rate,
  }));
}
