import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeHello, encodeHello, type Hello, isHello } from "../../lib/punch/hello.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const sample: Hello = {
  type: "hello",
  id: "0123456789abcdef",
  endpoints: [{ hostname: "203.0.113.1", port: 40000 }, { hostname: "2001:db8::1", port: 5 }],
  nat: "hard",
};

Deno.test("encodeHello() starts with the PKPH magic, version and type, then JSON", () => {
  const b = encodeHello(sample);
  assert.deepEqual([...b.subarray(0, 6)], [0x50, 0x4b, 0x50, 0x48, 1, 1]);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(b.subarray(6))), {
    id: "0123456789abcdef",
    endpoints: ["203.0.113.1:40000", "[2001:db8::1]:5"],
    nat: "hard",
  });
  assert.ok(isHello(b));
});

Deno.test("decodeHello() round-trips any valid message", () => {
  fc.assert(fc.property(
    fc.constantFrom("hello" as const, "reply" as const),
    fc.stringMatching(/^[0-9a-f]{16}$/),
    fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })), { maxLength: 8 }),
    fc.constantFrom("open" as const, "easy" as const, "hard" as const, "blocked" as const),
    (type, id, eps, nat) => {
      const m: Hello = {
        type,
        id,
        endpoints: eps.map(([h, p]) => ({ hostname: h, port: p })),
        nat,
      };
      assert.deepEqual(decodeHello(encodeHello(m)), m);
    },
  ));
});

Deno.test("decodeHello() rejects bad fields with WireError", () => {
  const body = (o: unknown) =>
    new Uint8Array([0x50, 0x4b, 0x50, 0x48, 1, 1, ...new TextEncoder().encode(JSON.stringify(o))]);
  for (
    const bad of [
      body({ id: "xyz", endpoints: [], nat: "easy" }),
      body({ id: "0123456789abcdef", endpoints: ["nonsense"], nat: "easy" }),
      body({ id: "0123456789abcdef", endpoints: ["1.2.3.4:0"], nat: "easy" }),
      body({ id: "0123456789abcdef", endpoints: [], nat: "weird" }),
      body({ id: "0123456789abcdef", endpoints: Array(9).fill("1.2.3.4:5"), nat: "easy" }),
      body([1, 2]),
      new Uint8Array([0x50, 0x4b, 0x50, 0x48, 2, 1]),
      new Uint8Array([0x50, 0x4b, 0x50, 0x48, 1, 3]),
      new Uint8Array(1000).fill(0x50),
    ]
  ) assert.throws(() => decodeHello(bad), WireError);
});

Deno.test("decodeHello() survives truncation, bit flips and junk: only WireError escapes", () => {
  const good = encodeHello(sample);
  for (let n = 0; n < good.length; n++) {
    try {
      decodeHello(good.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof WireError);
    }
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: good.length * 8 - 1 }), (bit) => {
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      try {
        decodeHello(bad);
      } catch (e) {
        assert.ok(e instanceof WireError);
      }
    }),
    { numRuns: 1000 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (junk) => {
    const data = new Uint8Array([0x50, 0x4b, 0x50, 0x48, 1, 1, ...junk]);
    try {
      decodeHello(data);
    } catch (e) {
      assert.ok(e instanceof WireError);
    }
  }));
});
