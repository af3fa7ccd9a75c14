/**
 * Virtual-time harness for the sans-IO relay client: client cores and relay server cores
 * joined by a synchronous pump, plus a scripted relay that sends whatever a test wants.
 * No sockets, no real time.
 */
import { backend, type KeyPair } from "../../lib/crypto/mod.ts";
import {
  acceptClientHandshake,
  decodePacket,
  encodePacket,
  FrameCodec,
  FrameReader,
  type RelayClientCore,
  type RelayCoreAction,
  type RelayCoreEvent,
  type RelayPacket,
  RelayServer,
} from "../../lib/relay/mod.ts";
import type { Addr } from "../../lib/net/addr.ts";

/** A relay of the simulation: the real server core, or a script. */
interface SimRelay {
  addr: Addr;
  up: boolean;
  accept(now: number): number;
  receive(id: number, bytes: Uint8Array, now: number): void;
  closed(id: number): void;
  /** Output per connection and connections the relay closed. */
  poll(): { out: [number, Uint8Array][]; closed: number[] };
  nextTimeout(): number;
  handleTimeout(now: number): void;
}

export class ServerRelay implements SimRelay {
  readonly server: RelayServer;
  up = true;
  constructor(readonly addr: Addr, kp: KeyPair = backend().keyPair()) {
    this.server = new RelayServer({ keyPair: kp, rateBytesPerSecond: 0 });
  }
  get publicKey(): Uint8Array {
    return this.server.publicKey;
  }
  accept(now: number): number {
    return this.server.accept({ hostname: "10.0.0.9", port: 1 }, now);
  }
  receive(id: number, bytes: Uint8Array, now: number): void {
    this.server.receive(id, bytes, now);
  }
  closed(id: number): void {
    this.server.closed(id);
  }
  poll() {
    const closed = this.server.pollClosed().map((c) => c.id);
    const out: [number, Uint8Array][] = [];
    for (const id of this.server.pollWritable()) {
      const b = this.server.takeOutput(id);
      if (b) out.push([id, b]);
    }
    return { out, closed };
  }
  nextTimeout(): number {
    return this.server.nextTimeout();
  }
  handleTimeout(now: number): void {
    this.server.handleTimeout(now);
  }
}

/** A relay that completes handshakes, records what clients send, and sends on request. */
export class ScriptedRelay implements SimRelay {
  readonly kp: KeyPair = backend().keyPair();
  up = true;
  /** Packets received, per connection, with the time. */
  readonly got: { id: number; at: number; p: RelayPacket }[] = [];
  /** Answers a packet with packets to send back (default: a pong to a ping). */
  reply: (p: RelayPacket, id: number) => RelayPacket[] = (p) =>
    p.type === "ping" ? [{ type: "pong", pingId: p.pingId }] : [];
  #conns = new Map<number, { hs: Uint8Array[]; codec: FrameCodec | null; reader: FrameReader }>();
  #out: [number, Uint8Array][] = [];
  #kill: number[] = [];
  #next = 1;
  constructor(readonly addr: Addr) {}
  get publicKey(): Uint8Array {
    return this.kp.publicKey;
  }
  accept(): number {
    const id = this.#next++;
    this.#conns.set(id, { hs: [], codec: null, reader: new FrameReader() });
    return id;
  }
  receive(id: number, bytes: Uint8Array, now: number): void {
    const c = this.#conns.get(id);
    if (!c) return;
    let rest = bytes;
    if (!c.codec) {
      // The sim writes the 128-byte handshake in one piece.
      const acc = acceptClientHandshake(this.kp, rest.subarray(0, 128))!;
      c.codec = new FrameCodec(acc.session);
      this.#out.push([id, acc.reply]);
      rest = rest.subarray(128);
    }
    for (const f of c.reader.push(rest)) {
      const p = decodePacket(c.codec.open(f)!.slice());
      this.got.push({ id, at: now, p });
      for (const r of this.reply(p, id)) this.send(id, r);
    }
  }
  /** Sends a packet to connection `id`. */
  send(id: number, p: RelayPacket): void {
    const c = this.#conns.get(id);
    if (c?.codec) this.#out.push([id, c.codec.seal(encodePacket(p))]);
  }
  /** Connection ids open now. */
  get ids(): number[] {
    return [...this.#conns.keys()];
  }
  kill(id: number): void {
    this.#conns.delete(id);
    this.#kill.push(id);
  }
  closed(id: number): void {
    this.#conns.delete(id);
  }
  poll() {
    const out = this.#out, closed = this.#kill;
    this.#out = [];
    this.#kill = [];
    return { out, closed };
  }
  nextTimeout(): number {
    return Infinity;
  }
  handleTimeout(): void {}
}

/** One client core of the simulation with what it did. */
export class SimClient {
  readonly events: RelayCoreEvent[] = [];
  readonly actions: { at: number; a: RelayCoreAction }[] = [];
  /** socket -> [relay, relay's connection id] */
  readonly sockets = new Map<number, [SimRelay, number]>();
  constructor(readonly core: RelayClientCore) {}
  /** Events of `type` seen so far. */
  seen<T extends RelayCoreEvent["type"]>(type: T): Extract<RelayCoreEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<RelayCoreEvent, { type: T }>[];
  }
  /** Times at which the core dialled. */
  get dialTimes(): number[] {
    return this.actions.filter((x) => x.a.type === "dial").map((x) => x.at);
  }
}

/** Clients and relays in virtual time. */
export class ClientSim {
  now = 0;
  readonly relays: SimRelay[] = [];
  readonly clients: SimClient[] = [];

  relay<R extends SimRelay>(r: R): R {
    this.relays.push(r);
    return r;
  }

  client(core: RelayClientCore): SimClient {
    const c = new SimClient(core);
    this.clients.push(c);
    return c;
  }

  /** Moves bytes and actions until nothing moves (bounded). */
  pump(): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const c of this.clients) {
        for (const a of c.core.pollActions()) {
          moved = true;
          c.actions.push({ at: this.now, a });
          if (a.type === "dial") {
            const r = this.relays.find((r) => sameAddr(r.addr, a.addr));
            if (!r?.up) c.core.dialFailed(a.socket, this.now);
            else {
              c.sockets.set(a.socket, [r, r.accept(this.now)]);
              c.core.connected(a.socket, this.now);
            }
          } else {
            const s = c.sockets.get(a.socket);
            c.sockets.delete(a.socket);
            s?.[0].closed(s[1]);
          }
        }
        for (const s of c.core.pollWritable()) {
          const out = c.core.takeOutput(s);
          const to = c.sockets.get(s);
          if (out && to) {
            moved = true;
            to[0].receive(to[1], out, this.now);
          }
        }
        for (const e of c.core.pollEvents()) c.events.push(e);
      }
      for (const r of this.relays) {
        const { out, closed } = r.poll();
        for (const id of closed) {
          moved = true;
          const [c, s] = this.#find(r, id);
          if (c) {
            c.sockets.delete(s);
            c.core.closed(s, this.now);
          }
        }
        for (const [id, bytes] of out) {
          const [c, s] = this.#find(r, id);
          if (!c) continue;
          moved = true;
          c.core.receive(s, bytes, this.now);
        }
      }
      if (!moved) return;
    }
    throw new Error("the simulation does not settle");
  }

  /** Advances virtual time to `now + ms`, firing every due timeout on the way (bounded). */
  advance(ms: number): void {
    const until = this.now + ms;
    this.pump();
    for (let i = 0; i < 100_000; i++) {
      const next = Math.min(
        ...this.clients.map((c) => c.core.nextTimeout()),
        ...this.relays.map((r) => r.nextTimeout()),
      );
      if (next > until) break;
      this.now = Math.max(this.now, next);
      for (const c of this.clients) {
        if (c.core.nextTimeout() <= this.now) c.core.handleTimeout(this.now);
      }
      for (const r of this.relays) if (r.nextTimeout() <= this.now) r.handleTimeout(this.now);
      this.pump();
    }
    this.now = until;
    this.pump();
  }

  /** The relay goes away: its sockets end, later dials fail. */
  down(r: SimRelay): void {
    r.up = false;
    for (const c of this.clients) {
      for (const [s, [rr, id]] of [...c.sockets]) {
        if (rr !== r) continue;
        c.sockets.delete(s);
        r.closed(id);
        c.core.closed(s, this.now);
      }
    }
    this.pump();
  }

  #find(r: SimRelay, id: number): [SimClient | undefined, number] {
    for (const c of this.clients) {
      for (const [s, [rr, rid]] of c.sockets) if (rr === r && rid === id) return [c, s];
    }
    return [undefined, 0];
  }
}

function sameAddr(a: Addr, b: Addr): boolean {
  return a.hostname === b.hostname && a.port === b.port;
}
