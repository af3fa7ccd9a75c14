import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { PunchAttempt } from "../../lib/punch/attempt.ts";
import { PunchDriver } from "../../lib/punch/driver.ts";

Deno.test("PunchDriver: two attempts on UdpHosts open a path and leave other kinds to the table", async () => {
  const net = new MemoryNetwork();
  await using ha = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.1", port: 7 }),
  });
  await using hb = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.2", port: 7 }),
  });
  let other = 0;
  hb.table.register("dht", [0x00], () => other++);
  const ka = backend().keyPair(), kb = backend().keyPair();
  const id = backend().randomBytes(8);
  const mk = (me: typeof ka, peer: typeof ka, h: UdpHost) =>
    new PunchAttempt({
      selfPublicKey: me.publicKey,
      peerPublicKey: peer.publicKey,
      sharedKey: backend().sharedKey(peer.publicKey, me.secretKey),
      attemptId: id,
      peerEndpoints: [h.localAddr],
      selfHard: false,
      peerHard: false,
      now: Date.now(),
    });
  const da = new PunchDriver(mk(ka, kb, hb), [ha]);
  const db = new PunchDriver(mk(kb, ka, ha), [hb]);
  try {
    ha.send(new Uint8Array([0x00, 1]), hb.localAddr);
    assert.deepEqual(await Promise.all([da.settled(), db.settled()]), ["open", "open"]);
    assert.deepEqual(da.attempt.path?.remote, hb.localAddr);
    for (let i = 0; i < 50 && other === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(other, 1);
  } finally {
    da.close();
    db.close();
  }
  // After close the punch kind is free again.
  assert.equal(ha.table.route(new Uint8Array([0xe5])), undefined);
});
