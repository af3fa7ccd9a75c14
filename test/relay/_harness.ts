/** A hand-driven relay client for sans-IO server tests: it can send any plaintext. */
import { backend, type KeyPair } from "../../lib/crypto/mod.ts";
import {
  createClientHandshake,
  FrameCodec,
  FrameReader,
  openServerHandshake,
  RelayClient,
  type RelayPacket,
  RelayServer,
  type RelayServerOptions,
} from "../../lib/relay/mod.ts";
import type { Addr } from "../../lib/net/addr.ts";
import type { Network, Stream, StreamListener } from "../../lib/net/types.ts";

export class Peer {
  readonly kp: KeyPair;
  readonly id: number;
  codec: FrameCodec | null = null;
  readonly reader = new FrameReader();
  inbox: RelayPacket[] = [];
  closed: string | null = null;
  constructor(readonly net: TestNet, opts: { kp?: KeyPair; ip?: string } = {}) {
    this.kp = opts.kp ?? backend().keyPair();
    this.id = net.server.accept(
      { hostname: opts.ip ?? "127.0.0.1", port: 40000 + net.n++ },
      net.now,
    );
    net.peers.set(this.id, this);
  }

  /** Handshake only (no first packet: the connection stays unconfirmed). */
  handshake(): this {
    const h = createClientHandshake(this.kp, this.net.server.publicKey);
    this.net.server.receive(this.id, h.bytes, this.net.now);
    this.net.flush();
    const reply = this.net.raw.get(this.id)!.splice(0);
    const bytes = Uint8Array.from(reply.flatMap((b) => [...b]));
    const keys = openServerHandshake(
      h,
      this.net.server.publicKey,
      this.kp.secretKey,
      bytes.subarray(0, 96),
    )!;
    this.codec = new FrameCodec(keys);
    return this;
  }

  /** Handshake plus a ping, which confirms the connection. */
  connect(): this {
    this.handshake();
    this.send({ type: "ping", pingId: new Uint8Array(8).fill(1) });
    this.take();
    return this;
  }

  sendRaw(plain: Uint8Array): void {
    this.net.server.receive(this.id, this.codec!.seal(plain), this.net.now);
    this.net.flush();
  }

  send(p: RelayPacket): void {
    const { encodePacket } = this.net.wire;
    this.sendRaw(encodePacket(p));
  }

  /** Packets received since the last call. */
  take(): RelayPacket[] {
    const out = this.inbox;
    this.inbox = [];
    return out;
  }
}

export class TestNet {
  readonly server: RelayServer;
  now = 0;
  n = 0;
  readonly peers = new Map<number, Peer>();
  readonly raw = new Map<number, Uint8Array[]>();
  readonly wire: typeof import("../../lib/relay/wire.ts");
  constructor(
    opts: Partial<RelayServerOptions> = {},
    wire: typeof import("../../lib/relay/wire.ts"),
  ) {
    this.server = new RelayServer({ keyPair: backend().keyPair(), ...opts });
    this.wire = wire;
  }

  peer(opts?: { kp?: KeyPair; ip?: string }): Peer {
    return new Peer(this, opts);
  }

  /** Delivers the server's output to the peers (decrypting it), and records kills. */
  flush(): void {
    for (const { id, reason } of this.server.pollClosed()) {
      const p = this.peers.get(id);
      if (p) p.closed = reason;
    }
    for (const id of this.server.pollWritable()) {
      const out = this.server.takeOutput(id);
      const p = this.peers.get(id);
      if (!out || !p) continue;
      if (!p.codec) {
        this.raw.set(id, [...(this.raw.get(id) ?? []), out]);
        continue;
      }
      for (const f of p.reader.push(out)) {
        const plain = p.codec.open(f);
        if (!plain) throw new Error("server frame does not open");
        p.inbox.push(this.wire.decodePacket(plain.slice()));
      }
    }
  }

  advance(ms: number): void {
    this.now += ms;
    this.server.handleTimeout(this.now);
    this.flush();
  }
}

export async function testNet(opts: Partial<RelayServerOptions> = {}): Promise<TestNet> {
  return new TestNet(opts, await import("../../lib/relay/wire.ts"));
}

/** Two {@link RelayClient}s linked to each other through one relay; disposing closes both. */
export interface LinkedPair extends AsyncDisposable {
  /** The first client. */
  a: RelayClient;
  /** The second client. */
  b: RelayClient;
}

/**
 * Two fresh clients on `relay`, each with the other as a peer, once `a` sees `b` online
 * (within `timeoutMs`).
 */
export async function linkedPair(
  relay: { addrs: Addr[]; core: { publicKey: Uint8Array } },
  timeoutMs = 3000,
): Promise<LinkedPair> {
  const a = new RelayClient({ keyPair: backend().keyPair() });
  const b = new RelayClient({ keyPair: backend().keyPair() });
  const pair = {
    a,
    b,
    [Symbol.asyncDispose]: async () => {
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
    },
  };
  try {
    for (const c of [a, b]) c.addRelay(relay.addrs[0]!, relay.core.publicKey);
    a.addPeer(b.publicKey);
    b.addPeer(a.publicKey);
    await a.waitForPeer(b.publicKey, timeoutMs);
  } catch (e) {
    await pair[Symbol.asyncDispose]();
    throw e;
  }
  return pair;
}

/**
 * `net` with its listeners' `accept` replaced by `accept(listener)`: for tests of how the
 * relay driver meets failing accepts or streams.
 */
export function withAccept(
  net: Network,
  accept: (l: StreamListener) => Promise<Stream>,
): Network {
  return {
    bindDatagram: (a) => net.bindDatagram(a),
    connect: (a) => net.connect(a),
    listen: async (a) => {
      const l = await net.listen(a);
      return {
        addr: l.addr,
        close: () => l.close(),
        [Symbol.asyncDispose]: () => Promise.resolve(l.close()),
        accept: () => accept(l),
      };
    },
  };
}
