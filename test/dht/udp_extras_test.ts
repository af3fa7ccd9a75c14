import assert from "node:assert/strict";
import { decodeBootstrapInfo, encodeBootstrapInfoRequest } from "../../lib/dht/bootstrap_info.ts";
import { NOT_IMPLEMENTED_KINDS, udpExtras } from "../../lib/dht/udp_extras.ts";
import type { Addr } from "../../lib/net/addr.ts";

const from = { hostname: "127.0.0.1", port: 5000 };

Deno.test("udpExtras() answers a 78-byte 0xf0 to its sender when a MOTD is set", () => {
  const sent: [Uint8Array, Addr][] = [];
  const x = udpExtras({
    bootstrapInfo: { version: 1000001000, motd: "hello" },
    send: (d, to) => sent.push([d, to]),
  });
  assert.equal(x.handle(encodeBootstrapInfoRequest(), from, 0), true);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]![1], from);
  assert.deepEqual(decodeBootstrapInfo(sent[0]![0]), { version: 1000001000, motd: "hello" });
  // 77 bytes: taken (no other layer sees it) but not answered, and counted.
  assert.equal(x.handle(new Uint8Array(77).fill(0xf0), from, 0), true);
  assert.equal(sent.length, 1);
  assert.match(JSON.stringify(x.metrics()), /"peerkit_bootstrap_info_dropped_total".*"value":1/);
});

Deno.test("udpExtras() without a MOTD drops 0xf0 and counts it", () => {
  const sent: Uint8Array[] = [];
  const x = udpExtras({ send: (d) => sent.push(d) });
  assert.equal(x.handle(encodeBootstrapInfoRequest(), from, 0), true);
  assert.equal(sent.length, 0);
  assert.equal(x.dropped.get(0xf0), 1);
  assert.equal(x.metrics().peerkit_bootstrap_info_dropped_total!.value, 1);
  assert.equal(x.metrics().peerkit_bootstrap_info_answered_total!.value, 0);
});

Deno.test("udpExtras() counts forwarding and DHT announcement packets as not implemented", () => {
  const x = udpExtras({ send: () => assert.fail("nothing is sent") });
  for (const k of NOT_IMPLEMENTED_KINDS) {
    assert.equal(x.handle(Uint8Array.of(k, 0, 0), from, 0), true);
  }
  x.handle(Uint8Array.of(0x93), from, 0);
  const m = x.metrics();
  assert.equal(m.peerkit_forwarding_dropped_total!.value, 3);
  assert.equal(m.peerkit_dht_announce_dropped_total!.value, 7);
  assert.equal(x.dropped.get(0x93), 2);
});

Deno.test("udpExtras() leaves every other kind (DHT, onion, empty) to the other layers", () => {
  const x = udpExtras({ bootstrapInfo: { version: 1, motd: "" }, send: () => {} });
  for (const k of [0x00, 0x04, 0x1a, 0x20, 0x80, 0x83, 0x8e, 0x8f, 0x99, 0xef, 0xf1, 0xff]) {
    assert.equal(x.handle(Uint8Array.of(k), from, 0), false, `kind ${k}`);
  }
  assert.equal(x.handle(new Uint8Array(0), from, 0), false);
  assert.equal(x.dropped.size, 0);
});

Deno.test("udpExtras() rejects a MOTD that does not fit", () => {
  assert.throws(
    () => udpExtras({ bootstrapInfo: { version: 1, motd: "x".repeat(256) }, send: () => {} }),
    RangeError,
  );
});
