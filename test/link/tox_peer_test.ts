/**
 * Telling a Tox client from a peerkit peer on one link (the `[164]` hello against a first
 * Messenger id), and the commands' Tox parts: text split at the Tox limit, one stdout line
 * per message, `send`'s refusal of a file, acknowledgement as delivery.
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { isChannelId, MESSENGER, PACKET, TOX_MAX_MESSAGE_TEXT } from "../../lib/link/channel.ts";
import { Link } from "../../lib/link/link.ts";
import { type ChannelPort, LinkChannel } from "../../lib/link/peer_channel.ts";
import { PathWatch } from "../../lib/link/path_watch.ts";
import { type PeerState, takeData } from "../../lib/link/peer_state.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { backend } from "../../lib/crypto/mod.ts";
import { bufferIo } from "../../commands/_io.ts";
import { sendToTox, splitToxText } from "../../commands/_send_tox.ts";
import { toxLine } from "../../commands/_connect_listen.ts";

const G = { json: false, quiet: false, verbose: false, home: "/nonexistent" } as const;

function port(sent: Uint8Array[], idle = () => true): ChannelPort {
  return { trySend: (m) => (sent.push(m), true), idle, kill: () => {}, paths: () => ["direct"] };
}

function state(clock = new VirtualClock(0)): PeerState {
  const channel = new LinkChannel("AB", port([]), clock);
  return {
    dht: new Uint8Array(32),
    watch: new PathWatch("AB", 0),
    live: undefined,
    channel,
    dialling: false,
  };
}

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("takeData: a first Messenger id marks a Tox client; [64]/[65] reach the channel, nickname and status are counted and dropped", () => {
  const s = state();
  const got: number[] = [];
  s.channel.onMessage((m) => got.push(m[0]!));
  takeData(s, bytes(MESSENGER.ONLINE), 0);
  assert.equal(s.channel.kind, "tox");
  takeData(s, bytes(48, 65, 66), 0); // nickname
  takeData(s, bytes(49), 0); // status message
  takeData(s, bytes(MESSENGER.MESSAGE, 104, 105), 0);
  takeData(s, bytes(MESSENGER.ACTION, 119), 0);
  takeData(s, bytes(PACKET.HELLO), 0); // too late: the first kind wins
  assert.equal(s.channel.kind, "tox");
  assert.deepEqual(got, [64, 65]);
  assert.equal(s.channel.messengerDropped, 3);
});

Deno.test("takeData: [164] first marks a peerkit peer; its [24] and any Messenger text after are dropped", () => {
  const s = state();
  const got: number[] = [];
  s.channel.onMessage((m) => got.push(m[0]!));
  takeData(s, bytes(PACKET.HELLO), 0);
  takeData(s, bytes(MESSENGER.ONLINE), 0);
  takeData(s, bytes(MESSENGER.MESSAGE, 1), 0);
  takeData(s, bytes(PACKET.STREAM_DATA, 1), 0);
  assert.equal(s.channel.kind, "peerkit");
  assert.deepEqual(got, [PACKET.STREAM_DATA]);
  assert.equal(s.channel.messengerDropped, 2);
});

Deno.test("takeData: any messages a peer sends (truncated, bit-flipped) never throw and reach the channel only as 160-191 or a Tox client's text", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }), { maxLength: 20 }),
      (ms) => {
        const s = state();
        const got: Uint8Array[] = [];
        s.channel.onMessage((m) => got.push(m));
        for (const m of ms) takeData(s, m, 0);
        for (const m of got) {
          const text = m[0] === MESSENGER.MESSAGE || m[0] === MESSENGER.ACTION;
          assert(isChannelId(m[0]!) || (text && s.channel.kind === "tox"), `id ${m[0]}`);
          assert(m[0] !== PACKET.HELLO && m[0] !== PACKET.REFUSED && m[0] !== PACKET.BYE);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("LinkChannel: peerKind waits for the first message, is unknown after the timeout; send takes [64] only to a Tox client", async () => {
  const clock = new VirtualClock(0);
  const sent: Uint8Array[] = [];
  const ch = new LinkChannel("AB", port(sent), clock);
  const late = ch.peerKind(5000);
  clock.advance(5001);
  assert.equal(await late, "unknown");
  await assert.rejects(ch.send(bytes(MESSENGER.MESSAGE, 1)), RangeError);
  const soon = ch.peerKind(5000);
  ch.setKind("tox");
  assert.equal(await soon, "tox");
  await ch.send(bytes(MESSENGER.MESSAGE, 1));
  await assert.rejects(ch.send(bytes(MESSENGER.ONLINE)), RangeError, "only text to a Tox client");
  assert.equal(sent.length, 1);
});

Deno.test("Link: both ends of a peerkit session see a peerkit peer (the hello comes first)", async () => {
  const c = backend();
  const bind = { hostname: "127.0.0.1", port: 0 };
  await using a = await Link.open({ keyPair: c.keyPair(), bind });
  await using b = await Link.open({ keyPair: c.keyPair(), bind });
  let theirs: Promise<string> = Promise.resolve("none");
  b.listen({ allow: "any", onChannel: (ch) => theirs = ch.peerKind!(5000) });
  const ch = await a.dial({ peer: b.publicKey, addrs: [b.localAddr], timeoutMs: 5000 });
  assert.equal(await ch.peerKind!(5000), "peerkit");
  for (let i = 0; i < 200 && (await theirs) === "none"; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(await theirs, "peerkit");
  await ch.close();
});

Deno.test("splitToxText: pieces of at most 1372 bytes that join to the text, none cut inside a character", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 3000 }), (t) => {
      const parts = splitToxText(t);
      const all = new TextEncoder().encode(t);
      assert.equal(parts.reduce((n, p) => n + p.length, 0), all.length);
      assert.equal(
        parts.map((p) => new TextDecoder("utf-8", { fatal: true }).decode(p)).join(""),
        t,
      );
      for (const p of parts) assert(p.length <= TOX_MAX_MESSAGE_TEXT);
    }),
    { numRuns: 200 },
  );
  assert.equal(splitToxText("x".repeat(1372)).length, 1);
  assert.equal(splitToxText("x".repeat(1373)).length, 2);
});

Deno.test("toxLine: a message is one line, an action starts with '* '", () => {
  assert.equal(toxLine(bytes(64, 104, 13, 10, 105)), "h i");
  assert.equal(toxLine(bytes(65, 119, 97, 118, 101, 115)), "* waves");
});

Deno.test("sendToTox: a file is refused in one line (exit 1); a long message goes as [64] pieces, delivered once acknowledged", async () => {
  const sent: Uint8Array[] = [];
  const ch = new LinkChannel("AB", port(sent));
  ch.setKind("tox");
  const io = bufferIo();
  assert.equal(await sendToTox(ch, { kind: "file", path: "/x" }, G, io), 1);
  assert.match(io.stderr(), /Tox client.*file transfer is not built/);
  assert.equal(io.stderr().trim().split("\n").length, 1);
  assert.equal(sent.length, 0);
  const io2 = bufferIo();
  assert.equal(
    await sendToTox(ch, { kind: "message", text: "y".repeat(2000) }, { ...G, json: true }, io2),
    0,
  );
  assert.deepEqual(sent.map((m) => [m[0], m.length]), [[64, 1373], [64, 629]]);
  const doc = JSON.parse(io2.stdout());
  assert.equal(doc.delivered, true);
  assert.equal(doc.messages, 2);
  assert.equal(doc.bytes, 2000);
});

Deno.test("sendToTox: a session that ends before the acknowledgement is not delivered (exit 1)", async () => {
  const ch = new LinkChannel("AB", port([], () => false));
  ch.setKind("tox");
  const io = bufferIo();
  const run = sendToTox(ch, { kind: "message", text: "hi" }, G, io);
  ch.end({ reason: "timeout" });
  assert.equal(await run, 1);
  assert.match(io.stderr(), /not delivered \(lost\)/);
});

Deno.test("connect and send: a Tox ID with --bootstrap and no --relay implies --onion; a key does not", async () => {
  const { parseSendOptions } = await import("../../commands/send.ts");
  const { parseConnectOptions } = await import("../../commands/connect.ts");
  const { formatToxId } = await import("../../lib/identity/tox_id.ts");
  const key = new Uint8Array(32).fill(7);
  const toxId = formatToxId({ publicKey: key, nospam: new Uint8Array(4) });
  const node = `127.0.0.1:33445:${"CD".repeat(32)}`;
  const boot = { bootstrap: [node] };
  assert.equal((await parseSendOptions(toxId, "hi", boot)).link.onion, true);
  assert.equal((await parseSendOptions("07".repeat(32), "hi", boot)).link.onion, false);
  assert.equal((await parseSendOptions(toxId, "hi", { relay: [node] })).link.onion, false);
  assert.equal((await parseConnectOptions(toxId, boot, "/")).onion, true);
  assert.equal((await parseConnectOptions("07".repeat(32), boot, "/")).onion, false);
});
