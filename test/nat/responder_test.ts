import assert from "node:assert/strict";
import fc from "fast-check";
import { fromHex } from "../../lib/util/bytes.ts";
import { formatIp } from "../../lib/net/ip.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { SourceRateLimiter } from "../../lib/nat/rate.ts";
import { StunResponder } from "../../lib/nat/responder.ts";
import type { StunAttribute } from "../../lib/nat/attributes.ts";
import { decodeStun, encodeStun, findAttribute } from "../../lib/nat/wire.ts";

const P = { hostname: "192.0.2.10", port: 3478 };
const A = { hostname: "192.0.2.11", port: 3479 };
const CLIENT = { hostname: "203.0.113.5", port: 40000 };
const TID = new Uint8Array(12).fill(7);

function request(attributes: StunAttribute[] = [], fingerprint = false): Uint8Array {
  return encodeStun({ class: "request", method: 1, transactionId: TID, attributes, fingerprint });
}
const padding: StunAttribute = { type: "software", text: "a client with a long name ..." };

Deno.test("StunResponder answers with every attribute when the request is large enough", () => {
  const r = new StunResponder({ primary: P, alternate: A, software: "peerkit" });
  const reply = r.handleDatagram(CLIENT, request([padding], true), 0);
  assert.ok(reply);
  assert.deepEqual(reply.to, CLIENT);
  assert.deepEqual(reply.from, P);
  const m = decodeStun(reply.data);
  assert.equal(m.class, "success");
  assert.deepEqual(m.transactionId, TID);
  assert.equal(m.fingerprint, true);
  assert.deepEqual(m.attributes.map((a) => a.type), [
    "xorMappedAddress",
    "otherAddress",
    "responseOrigin",
    "mappedAddress",
    "software",
  ]);
  assert.deepEqual(findAttribute(m, "xorMappedAddress")?.addr, CLIENT);
  assert.deepEqual(findAttribute(m, "mappedAddress")?.addr, CLIENT);
  assert.deepEqual(findAttribute(m, "otherAddress")?.addr, A);
  assert.deepEqual(findAttribute(m, "responseOrigin")?.addr, P);
  assert.equal(r.stats.answered, 1);
});

Deno.test("StunResponder honours CHANGE-REQUEST from each of its four addresses", () => {
  const r = new StunResponder({ primary: P, alternate: A, rate: { burst: 100 } });
  const pa = { hostname: P.hostname, port: A.port }, ap = { hostname: A.hostname, port: P.port };
  assert.deepEqual(r.addresses, [P, pa, ap, A]);
  const cases: [Addr, boolean, boolean, Addr, Addr][] = [
    // arrived at, change ip, change port, expected source, expected OTHER-ADDRESS
    [P, true, true, A, A],
    [P, false, true, pa, A],
    [P, true, false, ap, A],
    [A, true, true, P, P],
    [A, false, true, ap, P],
    [pa, false, false, pa, ap],
    [ap, true, false, P, pa],
  ];
  for (const [at, changeIp, changePort, src, other] of cases) {
    const req = request([{ type: "changeRequest", changeIp, changePort }, padding]);
    const reply = r.handleDatagram(CLIENT, req, 0, at);
    assert.ok(reply);
    assert.deepEqual(reply.from, src, JSON.stringify({ at, changeIp, changePort }));
    const m = decodeStun(reply.data);
    assert.deepEqual(findAttribute(m, "responseOrigin")?.addr, src);
    assert.deepEqual(findAttribute(m, "otherAddress")?.addr, other);
  }
});

Deno.test("StunResponder without an alternate answers CHANGE-REQUEST with 420", () => {
  const r = new StunResponder({ primary: P });
  const reply = r.handleDatagram(
    CLIENT,
    request([{ type: "changeRequest", changeIp: true, changePort: true }]),
    0,
  );
  assert.ok(reply);
  const m = decodeStun(reply.data);
  assert.equal(m.class, "error");
  assert.equal(findAttribute(m, "errorCode")?.code, 420);
  assert.deepEqual(findAttribute(m, "unknownAttributes")?.codes, [0x0003]);
  assert.ok(reply.data.length <= 2 * 28);
  // A plain request still gets an answer, without OTHER-ADDRESS.
  const ok = decodeStun(r.handleDatagram(CLIENT, request([padding]), 0)!.data);
  assert.equal(ok.class, "success");
  assert.equal(findAttribute(ok, "otherAddress"), undefined);
});

Deno.test("StunResponder lists unknown comprehension-required attributes in a 420", () => {
  // RFC 5769 sample request: PRIORITY, USERNAME and MESSAGE-INTEGRITY are unknown to us.
  const sample = fromHex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374" +
      "20636c69656e74002400046e0001ff80290008932ff9b151263b3600060009657674" +
      "6a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
      "80280004e57a3bcf",
  );
  const r = new StunResponder({ primary: P });
  const m = decodeStun(r.handleDatagram(CLIENT, sample, 0)!.data);
  assert.equal(findAttribute(m, "errorCode")?.code, 420);
  assert.deepEqual(findAttribute(m, "unknownAttributes")?.codes, [0x0024, 0x0006, 0x0008]);
  assert.equal(r.stats.errors, 1);
});

Deno.test("StunResponder answers an RFC 3489 request the way old clients expect", () => {
  const r = new StunResponder({ primary: P, alternate: A });
  const legacy = fromHex("0001000802cf856d74659c501dcc9b2a633502410003000400000002");
  const reply = r.handleDatagram(CLIENT, legacy, 0);
  assert.ok(reply);
  assert.deepEqual(reply.from, { hostname: P.hostname, port: A.port });
  assert.ok(reply.data.length <= 2 * legacy.length);
  const m = decodeStun(reply.data, { legacy: true });
  assert.deepEqual(m.transactionId, legacy.subarray(4, 20));
  assert.deepEqual(m.attributes, [
    { type: "mappedAddress", addr: CLIENT },
    { type: "sourceAddress", addr: reply.from },
    { type: "changedAddress", addr: A },
  ]);
  const strict = new StunResponder({ primary: P, legacy: false });
  assert.equal(strict.handleDatagram(CLIENT, legacy, 0), null);
  assert.equal(strict.stats.malformed, 1);
});

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIp);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIp);
const source = fc.record({ hostname: fc.oneof(ipv4, ipv6), port: fc.nat({ max: 65535 }) });

Deno.test("StunResponder never answers with more than twice the request (but one address)", () => {
  const alt6 = { hostname: "2001:db8::11", port: 3479 };
  const responders = [
    new StunResponder({ primary: P, alternate: A, rate: { burst: 1e9 } }),
    new StunResponder({ primary: { hostname: "2001:db8::10", port: 3478 }, alternate: alt6 }),
    new StunResponder({ primary: P, software: "x".repeat(200), rate: { burst: 1e9 } }),
  ];
  fc.assert(
    fc.property(
      source,
      fc.nat({ max: 2 }),
      fc.boolean(),
      fc.boolean(),
      fc.string({ maxLength: 30 }),
      fc.boolean(),
      fc.boolean(),
      (from, which, changeIp, changePort, text, fingerprint, legacy) => {
        const attributes: StunAttribute[] = [];
        if (changeIp || changePort) {
          attributes.push({ type: "changeRequest", changeIp, changePort });
        }
        if (text) attributes.push({ type: "software", text });
        const transactionId = legacy ? new Uint8Array(16).fill(1) : TID;
        const req = encodeStun({
          class: "request",
          method: 1,
          transactionId,
          attributes,
          fingerprint,
        });
        const reply = responders[which]!.handleDatagram(from, req, 0);
        assert.ok(reply);
        const oneAddress = 20 + (from.hostname.includes(":") ? 24 : 12);
        assert.ok(
          reply.data.length <= Math.max(2 * req.length, oneAddress),
          `${req.length} -> ${reply.data.length}`,
        );
        const m = decodeStun(reply.data, { legacy: true });
        const mapped = findAttribute(m, legacy ? "mappedAddress" : "xorMappedAddress");
        if (m.class === "success") assert.deepEqual(mapped?.addr, structuredClone(from));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("StunResponder rate-limits each source and counts the drops", () => {
  const r = new StunResponder({ primary: P, rate: { perSecond: 2, burst: 3 } });
  const req = request();
  const answered = () => r.handleDatagram(CLIENT, req, now) !== null;
  let now = 0;
  assert.deepEqual([answered(), answered(), answered(), answered()], [true, true, true, false]);
  assert.equal(r.stats.rateLimited, 1);
  // Another source is unaffected; the first recovers one token per 500 ms.
  assert.ok(r.handleDatagram({ hostname: "203.0.113.6", port: 1 }, req, now));
  now = 500;
  assert.deepEqual([answered(), answered()], [true, false]);
});

Deno.test("SourceRateLimiter keeps a bounded table", () => {
  const l = new SourceRateLimiter({ perSecond: 1, burst: 1, maxSources: 16 });
  for (let i = 0; i < 1000; i++) l.allow(`198.51.100.${i % 256}:${i}`, i);
  assert.equal(l.size, 16);
  assert.throws(() => new SourceRateLimiter({ perSecond: 0 }), RangeError);
});

Deno.test("StunResponder ignores responses, indications and garbage without throwing", () => {
  const r = new StunResponder({ primary: P });
  const response = encodeStun({ class: "success", method: 1, transactionId: TID, attributes: [] });
  const indication = encodeStun({
    class: "indication",
    method: 1,
    transactionId: TID,
    attributes: [],
  });
  const otherMethod = encodeStun({
    class: "request",
    method: 3,
    transactionId: TID,
    attributes: [],
  });
  for (const b of [response, indication, otherMethod]) {
    assert.equal(r.handleDatagram(CLIENT, b, 0), null);
  }
  assert.equal(r.stats.ignored, 3);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      r.handleDatagram(CLIENT, b, 0);
    }),
    { numRuns: 500 },
  );
  const good = request([padding], true);
  for (let bit = 0; bit < good.length * 8; bit++) {
    const f = good.slice();
    f[bit >> 3]! ^= 1 << (bit & 7);
    r.handleDatagram(CLIENT, f, 0);
  }
  assert.ok(r.stats.malformed > 0);
});

Deno.test("StunResponder rate-limits an IPv6 /64 as one source", () => {
  const r = new StunResponder({ primary: P, rate: { perSecond: 1, burst: 2 } });
  const req = request();
  const from = (host: string) => r.handleDatagram({ hostname: host, port: 1 }, req, 0) !== null;
  assert.deepEqual(
    [from("2001:db8:1:2::1"), from("2001:db8:1:2::ffff"), from("2001:db8:1:2:3::9")],
    [true, true, false],
  );
  assert.equal(from("2001:db8:1:3::1"), true);
  // IPv4-mapped and plain IPv4 share a bucket.
  assert.deepEqual([from("192.0.2.77"), from("::ffff:192.0.2.77"), from("192.0.2.77")], [
    true,
    true,
    false,
  ]);
});

Deno.test("StunResponder maps a wildcard local address to its own by port", () => {
  const r = new StunResponder({ primary: P, alternate: A });
  const req = request([{ type: "changeRequest", changeIp: false, changePort: false }, padding]);
  const reply = r.handleDatagram(CLIENT, req, 0, { hostname: "0.0.0.0", port: A.port });
  assert.deepEqual(reply?.from, { hostname: P.hostname, port: A.port });
  const m = decodeStun(reply!.data);
  assert.deepEqual(findAttribute(m, "otherAddress")?.addr, { hostname: A.hostname, port: P.port });
});
