import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddr, formatIp, parseAddr, parseIp } from "../../lib/net/mod.ts";

Deno.test("parseIp/formatIp round-trip any IPv4 and IPv6 address", () => {
  fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
    const bytes = parseIp(ip);
    assert.ok(bytes, ip);
    assert.deepEqual(parseIp(formatIp(bytes)), bytes);
  }));
});

Deno.test("parseIp rejects non-addresses", () => {
  for (const s of ["", "1.2.3", "256.1.1.1", "01.2.3.4", "1::2::3", "host", ":::", "1.2.3.4.5"]) {
    assert.equal(parseIp(s), null, s);
  }
});

Deno.test("formatIp compresses the longest zero run", () => {
  assert.equal(formatIp(parseIp("2001:db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
  assert.equal(formatIp(parseIp("::")!), "::");
  assert.equal(formatIp(parseIp("::1")!), "::1");
});

Deno.test("parseAddr accepts host:port and [v6]:port and rejects the rest", () => {
  assert.deepEqual(parseAddr("127.0.0.1:33445"), { hostname: "127.0.0.1", port: 33445 });
  assert.deepEqual(parseAddr("[::1]:1"), { hostname: "::1", port: 1 });
  assert.equal(formatAddr(parseAddr("[::1]:1")), "[::1]:1");
  for (const s of ["127.0.0.1", "::1:5", "h:99999", ":5", "a:b"]) assert.throws(() => parseAddr(s));
});
