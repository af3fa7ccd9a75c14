import assert from "node:assert/strict";
import { ffiAllowed } from "../../lib/util/ffi.ts";

Deno.test("ffiAllowed: PEERKIT_NO_FFI=1 turns native code off; empty or 0 leaves it on", () => {
  assert.equal(ffiAllowed("1"), false);
  assert.equal(ffiAllowed("yes"), false);
  // Under `deno test -A` the ffi permission is granted.
  assert.equal(ffiAllowed(undefined), true);
  assert.equal(ffiAllowed(""), true);
  assert.equal(ffiAllowed("0"), true);
});

const probe = `
import { loadSodium } from "./lib/crypto/sodium.ts";
import { bindLinuxUdp } from "./lib/net/udp_linux.ts";
const s = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 });
await s?.[Symbol.asyncDispose]();
console.log(JSON.stringify({ sodium: (await loadSodium()).name, batchedUdp: s !== undefined }));
`;

async function runProbe(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-net", probe],
    cwd: new URL("../../", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    sodium: string;
    batchedUdp: boolean;
  };
}

Deno.test("PEERKIT_NO_FFI=1: the WebAssembly libsodium and Deno's own UDP socket are used", async () => {
  // `deno eval` runs with every permission, FFI included: without the variable the batched
  // socket is used (this machine is Linux), with it neither native path is.
  const on = await runProbe({});
  assert.equal(on.batchedUdp, Deno.build.os === "linux");
  const off = await runProbe({ PEERKIT_NO_FFI: "1" });
  assert.deepEqual(off, { sodium: "libsodium", batchedUdp: false });
});
