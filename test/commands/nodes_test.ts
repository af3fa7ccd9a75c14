import assert from "node:assert/strict";
import fc from "fast-check";
import { checkHost, isHostName, parseNodesJson, parseNodeSpec } from "../../commands/_nodes.ts";
import { resolvePath } from "../../commands/_io.ts";
import { PeerkitError } from "../../lib/util/errors.ts";

const KEY = "0A".repeat(32);

Deno.test("isHostName() takes RFC 1123 names and refuses bad labels and dotted numbers", () => {
  for (
    const ok of ["localhost", "tox.abilinski.com", "a-b.c0", "x.", "1password.com", "a".repeat(63)]
  ) {
    assert.ok(isHostName(ok), ok);
  }
  for (
    const bad of [
      "",
      "bad_host!",
      "300.1.1.1",
      "1.2.3",
      "-a.com",
      "a-.com",
      "a..b",
      "a".repeat(64),
      `${"a.".repeat(127)}ab`,
    ]
  ) {
    assert.ok(!isHostName(bad), bad);
  }
});

Deno.test("parseNodeSpec() names a host that is neither an IP nor a host name (usage error)", () => {
  for (const host of ["300.1.1.1", "bad_host!", "1.2.3.999"]) {
    assert.throws(() => parseNodeSpec(`${host}:33445:${KEY}`), (e: unknown) => {
      assert.ok(e instanceof PeerkitError && e.usage && e.code === "BAD_NODE");
      assert.ok(e.message.includes(`"${host}"`), e.message);
      return true;
    });
  }
  assert.equal(parseNodeSpec(`[::1]:1:${KEY}`).host, "::1");
  assert.equal(parseNodeSpec(`tox.example.org:1:${KEY}`).host, "tox.example.org");
  assert.throws(() => parseNodeSpec(`[::zz]:1:${KEY}`), PeerkitError);
});

Deno.test("parseNodeSpec() and checkHost() on arbitrary text: a value or a usage error, nothing else", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: 0, max: 70000 }), (host, port) => {
      for (
        const f of [() => parseNodeSpec(`${host}:${port}:${KEY}`), () => checkHost(host, "--host")]
      ) {
        try {
          f();
        } catch (e) {
          assert.ok(e instanceof PeerkitError && e.usage, String(e));
        }
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseNodesJson() refuses a node whose address is not an IP or host name, naming it", () => {
  const doc = (ipv4: string) =>
    JSON.stringify({ nodes: [{ ipv4, ipv6: "-", port: 33445, public_key: KEY, tcp_ports: [] }] });
  assert.equal(parseNodesJson(doc("1.2.3.4"))[0]!.host, "1.2.3.4");
  assert.throws(() => parseNodesJson(doc("300.1.1.1")), /nodes\.0: "300\.1\.1\.1"/);
});

Deno.test("resolvePath() resolves relative paths against the caller's directory", () => {
  assert.equal(resolvePath("/home/me/docs", "rel.key"), "/home/me/docs/rel.key");
  assert.equal(resolvePath("/home/me/docs", "./a/../b.key"), "/home/me/docs/b.key");
  assert.equal(resolvePath("/home/me", "/etc/x"), "/etc/x");
  assert.equal(resolvePath("/", ".."), "/");
});
