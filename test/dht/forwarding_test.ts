import assert from "node:assert/strict";
import fc from "fast-check";
import { Forwarder, type ForwardSend, SENDBACK_TIMEOUT_MS } from "../../lib/dht/forwarding.ts";
import { decodeForwardPacket, encodeForwardPacket } from "../../lib/dht/forwarding_wire.ts";
import { keyEquals } from "../../lib/dht/distance.ts";
import type { Addr } from "../../lib/net/addr.ts";

const requester = { hostname: "127.0.0.1", port: 1000 };
const destAddr = { hostname: "127.0.0.1", port: 2000 };
const destKey = new Uint8Array(32).fill(0xd0);
const hmacKey = new Uint8Array(32).fill(9);

/** A forwarder that knows one node: `destKey` at `destAddr`. */
const forwarder = () =>
  new Forwarder({ route: (pk) => keyEquals(pk, destKey) ? destAddr : undefined, hmacKey });

const request = (data: Uint8Array, dest = destKey) =>
  encodeForwardPacket({ type: "request", dest, data });

function only(out: ForwardSend[]): { addr: Addr; data: Uint8Array } {
  assert.equal(out.length, 1);
  const s = out[0]!;
  assert.equal(s.to, "udp");
  assert.ok(s.to === "udp");
  return s;
}

Deno.test("Forwarder sends a 0x90 on to a close node as 0x91 and its 0x92 reply back as 0x91 [0]", () => {
  const f = forwarder();
  const fwd = only(f.handleUdp(request(Uint8Array.of(5, 6)), requester, 1000));
  assert.deepEqual(fwd.addr, destAddr);
  const p = decodeForwardPacket(fwd.data);
  assert.ok(p.type === "forwarding");
  assert.deepEqual(p.data, Uint8Array.of(5, 6));
  assert.equal(p.sendback.length, 32 + 1 + 7);
  const reply = encodeForwardPacket({
    type: "reply",
    sendback: p.sendback,
    data: Uint8Array.of(7),
  });
  const back = only(f.handleUdp(reply, destAddr, 2000));
  assert.deepEqual(back.addr, requester);
  assert.deepEqual(back.data, Uint8Array.of(0x91, 0, 7));
  assert.deepEqual(f.stats, { forwarded: 1, replied: 1, dropped: 0, notForUs: 0 });
});

Deno.test("Forwarder drops a request for a key it has no close node for", () => {
  const f = forwarder();
  assert.deepEqual(f.handleUdp(request(Uint8Array.of(1), new Uint8Array(32)), requester, 0), []);
  assert.equal(f.stats.dropped, 1);
});

Deno.test("Forwarder chains a 0x91 whose data is a 0x90, and the reply goes back as 0x92", () => {
  const f = forwarder();
  const previous = { hostname: "127.0.0.9", port: 33445 };
  const theirSendback = new Uint8Array(40).fill(0xee);
  const chained = encodeForwardPacket({
    type: "forwarding",
    sendback: theirSendback,
    data: request(Uint8Array.of(1, 2, 3)),
  });
  const fwd = only(f.handleUdp(chained, previous, 0));
  assert.deepEqual(fwd.addr, destAddr);
  const p = decodeForwardPacket(fwd.data);
  assert.ok(p.type === "forwarding");
  assert.equal(p.sendback.length, 32 + 1 + 7 + 40);
  const reply = encodeForwardPacket({
    type: "reply",
    sendback: p.sendback,
    data: Uint8Array.of(9),
  });
  const back = only(f.handleUdp(reply, destAddr, 1));
  assert.deepEqual(back.addr, previous);
  assert.deepEqual(decodeForwardPacket(back.data), {
    type: "reply",
    sendback: theirSendback,
    data: Uint8Array.of(9),
  });
});

Deno.test("Forwarder drops a chain whose sendback would exceed 254 bytes", () => {
  const f = forwarder();
  const chained = encodeForwardPacket({
    type: "forwarding",
    sendback: new Uint8Array(254 - 32 - 8 + 1),
    data: request(Uint8Array.of(1)),
  });
  assert.deepEqual(f.handleUdp(chained, requester, 0), []);
  assert.equal(f.stats.dropped, 1);
});

Deno.test("Forwarder counts a 0x91 for the announcement store as not for us", () => {
  const f = forwarder();
  const p = encodeForwardPacket({
    type: "forwarding",
    sendback: new Uint8Array(40),
    data: Uint8Array.of(0x93),
  });
  assert.deepEqual(f.handleUdp(p, requester, 0), []);
  assert.deepEqual(f.stats, { forwarded: 0, replied: 0, dropped: 0, notForUs: 1 });
});

Deno.test("Forwarder drops replies with a forged, altered, foreign or expired sendback", () => {
  const f = forwarder();
  const p = decodeForwardPacket(only(f.handleUdp(request(Uint8Array.of(1)), requester, 0)).data);
  assert.ok(p.type === "forwarding");
  const reply = (sendback: Uint8Array, now: number) =>
    f.handleUdp(
      encodeForwardPacket({ type: "reply", sendback, data: Uint8Array.of(1) }),
      destAddr,
      now,
    );
  const altered = p.sendback.slice();
  altered[altered.length - 1]! ^= 1; // another port
  assert.deepEqual(reply(altered, 0), []);
  assert.deepEqual(reply(new Uint8Array(40), 0), []);
  assert.deepEqual(reply(p.sendback.subarray(0, 32), 0), []); // tag only, no data
  const other = new Forwarder({ route: () => destAddr, hmacKey: new Uint8Array(32) });
  assert.deepEqual(
    other.handleUdp(
      encodeForwardPacket({ type: "reply", sendback: p.sendback, data: Uint8Array.of(1) }),
      destAddr,
      0,
    ),
    [],
  );
  // Valid through the next period, not after it.
  assert.equal(reply(p.sendback, 2 * SENDBACK_TIMEOUT_MS - 1).length, 1);
  assert.deepEqual(reply(p.sendback, 2 * SENDBACK_TIMEOUT_MS), []);
  assert.equal(f.stats.dropped, 4);
});

Deno.test("Forwarder sends a TCP client's request to its IP_Port and the reply back as relay id 11", () => {
  const f = forwarder();
  const fwd = only(f.handleTcpRequest(destAddr, Uint8Array.of(4, 4), 77, 0));
  assert.deepEqual(fwd.addr, destAddr);
  const p = decodeForwardPacket(fwd.data);
  assert.ok(p.type === "forwarding");
  assert.equal(p.sendback.length, 32 + 9);
  const out = f.handleUdp(
    encodeForwardPacket({ type: "reply", sendback: p.sendback, data: Uint8Array.of(8) }),
    destAddr,
    0,
  );
  assert.deepEqual(out, [{ to: "tcp", client: 77, data: Uint8Array.of(11, 8) }]);
});

Deno.test("Forwarder never throws on random datagrams of kinds 0x90-0x92", () => {
  const f = forwarder();
  fc.assert(
    fc.property(fc.constantFrom(0x90, 0x91, 0x92), fc.uint8Array({ maxLength: 400 }), (k, rest) => {
      const out = f.handleUdp(Uint8Array.of(k, ...rest), requester, 0);
      for (const s of out) assert.ok(s.data.length <= 2048);
    }),
    { numRuns: 500 },
  );
});
