/**
 * regression: after a direct path died and the session moved to the relay, the resend
 * delay was still the direct path's few milliseconds, so every packet request that came
 * over the relay sent the whole in-flight window again, the relay's queue filled with
 * copies and delivery stopped (64 MiB on loopback stuck for the rest of a minute). A
 * request that arrives through a TCP relay now resends only packets older than
 * `TCP_RESEND_DELAY_MS` (500 ms, c-toxcore's `DEFAULT_TCP_PING_CONNECTION` rule).
 * @module
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as crypto } from "../../lib/crypto/backend.ts";
import { TCP_RESEND_DELAY_MS } from "../../lib/session/constants.ts";
import { DeliveryRate } from "../../lib/session/delivery_rate.ts";
import { SessionHost } from "../../lib/session/host.ts";
import { encodeRequest } from "../../lib/session/request.ts";
import { Sender } from "../../lib/session/sender.ts";

/** A sender with 10 packets out at t=0 and an RTT of a few ms measured from packet 0. */
function sender(): { s: Sender; emitted: number[] } {
  const emitted: number[] = [];
  const s = new Sender(new DeliveryRate(), (_p, n) => emitted.push(n));
  for (let i = 0; i < 10; i++) s.enqueue(new Uint8Array([160, i]));
  s.pump(0);
  assert.equal(s.inFlight, 10);
  assert(s.acked(1, 4), "packet 0 acknowledged after 4 ms");
  emitted.length = 0;
  return { s, emitted };
}

/** A request for packets 1..9 (all missing), relative to the sender's ring. */
const askAll = (s: Sender) => encodeRequest(s.ring.start, s.ring.end, () => false).subarray(1);

Deno.test("Sender.request(): a request from the direct path resends after the measured RTT", () => {
  const { s, emitted } = sender();
  assert(s.request(askAll(s), 100));
  s.pump(100);
  assert.equal(emitted.length, 9);
});

Deno.test("Sender.request(): a request over a relay resends only packets older than 500 ms", () => {
  const { s, emitted } = sender();
  assert(s.request(askAll(s), 100, TCP_RESEND_DELAY_MS));
  s.pump(100);
  assert.equal(emitted.length, 0, "not at 100 ms: the relay's queue may still hold them");
  assert(s.request(askAll(s), TCP_RESEND_DELAY_MS + 1, TCP_RESEND_DELAY_MS));
  s.pump(TCP_RESEND_DELAY_MS + 1);
  assert.equal(emitted.length, 9);
});

/** Two established hosts wired in memory; `loseA` drops every other datagram of a's. */
function pair() {
  const a = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
  const b = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
  a.connect(b.publicKey, b.dhtPublicKey, 0);
  const run = (from: number, to: number, o: { loseA?: boolean; bViaRelay?: boolean } = {}) => {
    for (let i = from; i < to; i++) {
      let k = 0;
      for (let t = a.pollTransmit(); t; t = a.pollTransmit()) {
        if (!o.loseA || k++ % 2 === 1) b.handleDatagram(t.bytes, i, { peer: a.peer, reply: "a" });
      }
      for (let t = b.pollTransmit(); t; t = b.pollTransmit()) {
        a.handleDatagram(t.bytes, i, { peer: b.peer, reply: "b", relay: o.bViaRelay ?? false });
      }
      a.handleTimeout(i);
      b.handleTimeout(i);
    }
  };
  run(0, 50);
  assert.equal(a.session(b.peer)?.state, "established");
  return { a, b, run };
}

for (const viaRelay of [false, true]) {
  Deno.test(`SessionHost: packets lost, then requests ${viaRelay ? "over a relay wait 500 ms" : "direct resend at once"}`, () => {
    const { a, b, run } = pair();
    for (let i = 0; i < 20; i++) assert(a.send(b.peer, new Uint8Array([160, i]), 50));
    run(50, 51, { loseA: true }); // half of the 20 packets vanish
    const s = a.session(b.peer)!;
    const before = s.stats.resent;
    run(51, 400, { bViaRelay: viaRelay }); // b asks for the missing ones
    if (viaRelay) assert.equal(s.stats.resent, before, "nothing resent before 500 ms");
    else assert(s.stats.resent > before, "resent on the direct path's RTT");
    run(400, 700, { bViaRelay: viaRelay });
    assert(s.stats.resent > before, "resent after 500 ms either way");
  });
}
