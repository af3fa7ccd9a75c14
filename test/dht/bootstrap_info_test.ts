import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BOOTSTRAP_INFO_REQUEST_SIZE,
  BOOTSTRAP_INFO_RESPONSE_MAX,
  BootstrapInfoResponder,
  decodeBootstrapInfo,
  decodeVersion,
  encodeBootstrapInfo,
  encodeBootstrapInfoRequest,
  encodedLength,
  encodeVersion,
} from "../../lib/dht/bootstrap_info.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";

// Captured on 127.0.0.1: tox-bootstrapd 0.2.18 with `motd = "peerkit-test"` answering a
// 78-byte request of 0xf0 and 77 zero bytes.
const BOOTSTRAPD_ANSWER_HEX = "f03b9ad1e2706565726b69742d7465737400";
const from = { hostname: "127.0.0.1", port: 40000 };

Deno.test("decodeBootstrapInfo() reads the answer captured from tox-bootstrapd 0.2.18", () => {
  const info = decodeBootstrapInfo(fromHex(BOOTSTRAPD_ANSWER_HEX));
  assert.deepEqual(info, { version: 1000002018, motd: "peerkit-test" });
  assert.equal(decodeVersion(info.version), "0.2.18");
});

Deno.test("encodeBootstrapInfo() gives tox-bootstrapd's bytes for the same version and MOTD", () => {
  const bytes = encodeBootstrapInfo({ version: encodeVersion("0.2.18"), motd: "peerkit-test" });
  assert.equal(toHex(bytes), BOOTSTRAPD_ANSWER_HEX);
});

Deno.test("encodeVersion() uses 1000000000 + major·10⁶ + minor·10³ + patch", () => {
  assert.equal(encodeVersion("0.1.0"), 1000001000);
  assert.equal(encodeVersion("12.345.678"), 1012345678);
  assert.equal(encodeVersion("1.2.3-rc.1"), 1001002003);
  assert.throws(() => encodeVersion("1.2"), RangeError);
  assert.throws(() => encodeVersion("1.1000.0"), RangeError);
  assert.equal(decodeVersion(999_999_999), null);
  assert.equal(decodeVersion(1999999999), "999.999.999");
  assert.equal(decodeVersion(0xffffffff), null);
});

Deno.test("encodeBootstrapInfo() rejects a MOTD over 255 bytes or with a NUL", () => {
  assert.equal(encodeBootstrapInfo({ version: 1, motd: "x".repeat(255) }).length, 261);
  assert.throws(() => encodeBootstrapInfo({ version: 1, motd: "x".repeat(256) }), RangeError);
  assert.throws(() => encodeBootstrapInfo({ version: 1, motd: "é".repeat(128) }), RangeError);
  assert.throws(() => encodeBootstrapInfo({ version: 1, motd: "a\0b" }), RangeError);
  assert.throws(() => encodeBootstrapInfo({ version: -1, motd: "" }), RangeError);
  assert.throws(() => encodeBootstrapInfo({ version: 2 ** 32, motd: "" }), RangeError);
});

Deno.test("decodeBootstrapInfo() takes the MOTD up to the first NUL, or all of it without one", () => {
  assert.equal(decodeBootstrapInfo(fromHex("f03b9ad1e2616200cdcd")).motd, "ab");
  assert.equal(decodeBootstrapInfo(fromHex("f03b9ad1e26162")).motd, "ab");
  assert.equal(decodeBootstrapInfo(fromHex("f03b9ad1e2")).motd, "");
});

Deno.test("decodeBootstrapInfo() rejects short, oversized and wrongly typed packets", () => {
  const code = (hex: string | Uint8Array) => {
    try {
      decodeBootstrapInfo(typeof hex === "string" ? fromHex(hex) : hex);
    } catch (e) {
      assert.ok(e instanceof WireError);
      return e.code;
    }
    return "ok";
  };
  assert.equal(code("f03b9ad1"), "TRUNCATED");
  assert.equal(code(""), "TRUNCATED");
  assert.equal(code("003b9ad1e200"), "BAD_TYPE");
  assert.equal(code(new Uint8Array(BOOTSTRAP_INFO_RESPONSE_MAX + 1).fill(0xf0)), "TOO_LARGE");
});

const motdArb = fc.string({ unit: "grapheme", maxLength: 80 }).filter((s) =>
  !s.includes("\0") && new TextEncoder().encode(s).length <= 255
);
const infoArb = fc.record({ version: fc.nat({ max: 0xffffffff }), motd: motdArb });

Deno.test("bootstrap info round-trips and encodedLength() matches", () => {
  fc.assert(
    fc.property(infoArb, (info) => {
      const bytes = encodeBootstrapInfo(info);
      assert.equal(bytes.length, encodedLength(info));
      assert.ok(bytes.length <= BOOTSTRAP_INFO_RESPONSE_MAX);
      assert.deepEqual(decodeBootstrapInfo(bytes), { ...info });
    }),
    { numRuns: 300 },
  );
});

Deno.test("truncated, bit-flipped and random bootstrap info raises only WireError", () => {
  fc.assert(
    fc.property(
      infoArb,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      fc.uint8Array({ maxLength: 300 }),
      (info, cut, at, bit, random) => {
        const bytes = encodeBootstrapInfo(info);
        const flipped = bytes.slice();
        flipped[at % bytes.length]! ^= 1 << bit;
        for (const v of [bytes.slice(0, cut % bytes.length), flipped, random]) {
          try {
            const d = decodeBootstrapInfo(v);
            assert.equal(typeof d.motd, "string");
          } catch (e) {
            assert.ok(e instanceof WireError, String(e));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("BootstrapInfoResponder answers only exactly 78 bytes that start with 0xf0", () => {
  const r = new BootstrapInfoResponder({ version: 1000001000, motd: "hello", perIpBurst: 100 });
  for (const n of [0, 1, 5, 77, 79, 200]) {
    const d = new Uint8Array(n).fill(0xf0);
    assert.equal(r.handle(d, from, 0), null, `${n} bytes`);
  }
  assert.equal(r.stats.droppedSize, 6);
  const req = encodeBootstrapInfoRequest();
  assert.equal(req.length, BOOTSTRAP_INFO_REQUEST_SIZE);
  req.fill(0xab, 1); // tox-bootstrapd ignores everything after the kind
  const out = r.handle(req, from, 0);
  assert.ok(out);
  assert.deepEqual(decodeBootstrapInfo(out), { version: 1000001000, motd: "hello" });
  assert.equal(r.stats.answered, 1);
});

Deno.test("BootstrapInfoResponder: no answer exceeds 4 times its 78-byte request", () => {
  const r = new BootstrapInfoResponder({ version: 0xffffffff, motd: "m".repeat(255) });
  const out = r.handle(encodeBootstrapInfoRequest(), from, 0);
  assert.ok(out && out.length === 261 && out.length <= 4 * BOOTSTRAP_INFO_REQUEST_SIZE);
});

Deno.test("BootstrapInfoResponder holds one IP to its burst, then to its rate", () => {
  const r = new BootstrapInfoResponder({ version: 1, motd: "", perIpRate: 2, perIpBurst: 3 });
  const req = encodeBootstrapInfoRequest();
  const answers = (now: number, n: number) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (r.handle(req, from, now)) k++;
    return k;
  };
  assert.equal(answers(1000, 10), 3);
  assert.equal(r.stats.droppedRate, 7);
  assert.equal(answers(1500, 10), 1); // 2 per second: one more after 500 ms
  assert.equal(answers(1500, 1), 0);
  // Another IP has its own bucket.
  assert.ok(r.handle(req, { hostname: "127.0.0.2", port: 1 }, 1500));
});

Deno.test("BootstrapInfoResponder caps all answers together across many source IPs", () => {
  const r = new BootstrapInfoResponder({ version: 1, motd: "", totalRate: 10 });
  const req = encodeBootstrapInfoRequest();
  let answered = 0;
  for (let i = 0; i < 100; i++) {
    if (r.handle(req, { hostname: `10.0.${i >> 8}.${i & 255}`, port: 1 }, 5000)) answered++;
  }
  assert.equal(answered, 10);
  assert.equal(r.stats.droppedRate, 90);
});

Deno.test("BootstrapInfoResponder forgets the least recently seen IP beyond maxSources", () => {
  const r = new BootstrapInfoResponder({ version: 1, motd: "", perIpBurst: 1, maxSources: 3 });
  const req = encodeBootstrapInfoRequest();
  const ip = (i: number) => ({ hostname: `10.0.0.${i}`, port: 1 });
  for (let i = 1; i <= 3; i++) assert.ok(r.handle(req, ip(i), 0));
  assert.equal(r.handle(req, ip(1), 0), null); // 1 is now the most recent
  assert.ok(r.handle(req, ip(4), 0)); // evicts 2
  assert.equal(r.sources, 3);
  assert.ok(r.handle(req, ip(2), 0), "2 was forgotten, so it starts with a full bucket");
  assert.equal(r.handle(req, ip(1), 0), null, "1 was kept");
});

Deno.test("BootstrapInfoResponder rejects a bad MOTD or limit at construction", () => {
  assert.throws(
    () => new BootstrapInfoResponder({ version: 1, motd: "x".repeat(300) }),
    RangeError,
  );
  assert.throws(
    () => new BootstrapInfoResponder({ version: 1, motd: "", perIpRate: 0 }),
    RangeError,
  );
  assert.throws(
    () => new BootstrapInfoResponder({ version: 1, motd: "", maxSources: 0 }),
    RangeError,
  );
});
