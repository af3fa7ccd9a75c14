/**
 * Demo stage 1: identities. Two peers make Curve25519 identities with `peerkit keygen`, and a
 * message boxed by one opens only for the other.
 *
 * @example
 * ```ts ignore
 * import { keysStage } from "./keys.ts";
 * await keysStage(console.log);
 * ```
 * @module
 */
import { backend, decryptData, encryptData, randomNonce } from "../../lib/crypto/mod.ts";
import { formatPublicKey, readKeyFile } from "../../lib/identity/mod.ts";
import { main } from "../../cli.ts";

/**
 * Runs the stage in a temporary state directory and removes it afterwards.
 *
 * @example
 * ```ts ignore
 * import { keysStage } from "./keys.ts";
 * await keysStage((l) => console.log(l));
 * ```
 */
export async function keysStage(say: (line: string) => void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-demo-" });
  try {
    const keys: Record<string, string> = {};
    for (const who of ["alice", "bob"]) {
      const home = `${dir}/${who}`;
      say(`$ peerkit --home ${home} keygen`);
      let printed = "";
      const code = await main(["--home", home, "-q", "keygen"], {
        out: (t) => printed += t,
        err: () => {},
      });
      if (code !== 0) throw new Error(`keygen exited ${code}`);
      keys[who] = printed.trim();
      say(`  ${who}'s peer id (public key): ${printed.trim()}`);
    }
    const alice = await readKeyFile(`${dir}/alice/identity.key`);
    const bob = await readKeyFile(`${dir}/bob/identity.key`);
    const mode = ((await Deno.stat(`${dir}/alice/identity.key`)).mode ?? 0) & 0o777;
    say(`  key files are 64 bytes (public key, then secret key), mode ${mode.toString(8)}`);
    const text = "hello bob, only you can read this";
    const nonce = randomNonce();
    const boxed = encryptData(
      bob.publicKey,
      alice.secretKey,
      nonce,
      new TextEncoder().encode(text),
    );
    say(`alice boxes ${JSON.stringify(text)} to bob: ${boxed.length} bytes, MAC first`);
    const opened = decryptData(alice.publicKey, bob.secretKey, nonce, boxed);
    say(`bob opens it: ${JSON.stringify(new TextDecoder().decode(opened!))}`);
    const eve = backend().keyPair();
    const byEve = decryptData(alice.publicKey, eve.secretKey, nonce, boxed);
    say(
      `eve (${formatPublicKey(eve.publicKey).slice(0, 16)}…) tries: ${
        byEve ? "opened?!" : "fails, as it must"
      }`,
    );
    if (!opened || byEve) throw new Error("crypto demo did not behave");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
