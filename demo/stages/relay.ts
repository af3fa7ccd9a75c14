/**
 * Demo stage: a TCP relay. Alice and Bob know only the relay's address and key, never each
 * other's; they reach each other through it and exchange messages boxed end to end, so the
 * relay forwards bytes it cannot open.
 *
 * @example
 * ```ts ignore
 * import { relayStage } from "./relay.ts";
 * await relayStage(console.log);
 * ```
 * @module
 */
import { backend, decryptData, encryptData, randomNonce } from "../../lib/crypto/mod.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { RelayClient, RelayServerDriver } from "../../lib/relay/mod.ts";
import { formatPublicKey } from "../../lib/identity/mod.ts";

const enc = new TextEncoder(), dec = new TextDecoder();

/**
 * Runs the stage on loopback and cleans up, also when `signal` aborts.
 *
 * @example
 * ```ts ignore
 * import { relayStage } from "./relay.ts";
 * await relayStage((l) => console.log(l));
 * ```
 */
export async function relayStage(
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const short = (pk: Uint8Array) => formatPublicKey(pk).slice(0, 12) + "…";
  const relayKeys = backend().keyPair();
  await using relay = await RelayServerDriver.listen({ keyPair: relayKeys });
  const addr = relay.addrs[0]!;
  say(`relay listening on ${formatAddr(addr)} with key ${short(relayKeys.publicKey)}`);
  const alice = backend().keyPair(), bob = backend().keyPair();
  await using a = new RelayClient({ keyPair: alice });
  await using b = new RelayClient({ keyPair: bob });
  const inbox = { a: Promise.withResolvers<Uint8Array>(), b: Promise.withResolvers<Uint8Array>() };
  inbox.a.promise.catch(() => {});
  inbox.b.promise.catch(() => {});
  a.onData = (_p, d) => inbox.a.resolve(d.slice());
  b.onData = (_p, d) => inbox.b.resolve(d.slice());
  signal?.addEventListener("abort", () => {
    inbox.a.reject(new Error("aborted"));
    inbox.b.reject(new Error("aborted"));
  }, { once: true });
  a.addRelay(addr, relayKeys.publicKey);
  b.addRelay(addr, relayKeys.publicKey);
  say(`alice (${short(alice.publicKey)}) and bob (${short(bob.publicKey)}) link to the relay;`);
  say("neither knows the other's address: the relay is their only path");
  a.addPeer(bob.publicKey);
  b.addPeer(alice.publicKey);
  await Promise.all([a.waitForPeer(bob.publicKey, 5000), b.waitForPeer(alice.publicKey, 5000)]);
  say("both asked the relay for a route to the other's key: the relay connects them");

  const boxed = (from: Uint8Array, to: Uint8Array, text: string) => {
    const n = randomNonce();
    const c = encryptData(to, from, n, enc.encode(text));
    const out = new Uint8Array(24 + c.length);
    out.set(n, 0);
    out.set(c, 24);
    return out;
  };
  const open = (from: Uint8Array, to: Uint8Array, m: Uint8Array) =>
    decryptData(from, to, m.subarray(0, 24), m.subarray(24));

  const toBob = boxed(alice.secretKey, bob.publicKey, "hello bob, the relay cannot read this");
  a.send(bob.publicKey, toBob);
  const atBob = await inbox.b.promise;
  say(`alice sends ${toBob.length} bytes boxed for bob; the relay forwards them`);
  say(`bob opens them: "${dec.decode(open(alice.publicKey, bob.secretKey, atBob)!)}"`);
  const relayTry = open(alice.publicKey, relayKeys.secretKey, atBob);
  say(
    `the relay, with its own key, ${
      relayTry === null ? "fails to open them, as it must" : "OPENED THEM"
    }`,
  );
  if (relayTry !== null) throw new Error("the relay could read the message");

  const toAlice = boxed(bob.secretKey, alice.publicKey, "hi alice, got it through the relay");
  b.send(alice.publicKey, toAlice);
  const atAlice = await inbox.a.promise;
  say(`bob replies; alice opens: "${dec.decode(open(bob.publicKey, alice.secretKey, atAlice)!)}"`);
  const s = relay.core.stats();
  say(
    `relay counters: ${s.clients} clients, ${s.onlineRoutes} online routes, ` +
      `${s.packetsRelayed} packets / ${s.bytesRelayed} bytes relayed`,
  );
}
