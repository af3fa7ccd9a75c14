/**
 * The peerkit side of the c-toxcore punch test, run inside a lab host: a DHT node joined
 * through the given daemons, an onion client on its socket that befriends the c-toxcore
 * client (so each learns the other's DHT key through DHT-PK packets), and the
 * DHT-coordinated meeting in `dht-ping` mode toward the c-toxcore client's DHT key: NAT
 * pings through its close nodes, then DHT pings to the address they agree on. Prints one
 * JSON line: the meeting's report plus what the onion saw.
 *
 *   deno run -A test/lab/toxcore_peer.ts --secret HEX --friend REALPK --friend-dht DHTPK
 *     --bootstrap IP:PORT:KEY [--bootstrap ...] [--timeout SECONDS]
 *
 * Bad arguments: one line on stderr, exit 2.
 *
 * @example
 * ```ts ignore
 * // inside host-b of a lab; see toxcore_punch_test.ts
 * ```
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import { parseAddr } from "../../lib/net/addr.ts";
import { OnionDriver } from "../../lib/onion/driver.ts";
import { runDhtMeet } from "../../lib/punch/dht_meet_driver.ts";
import { fromHex } from "../../lib/util/bytes.ts";

function fail(msg: string): never {
  console.error(`toxcore_peer: ${msg}`);
  Deno.exit(2);
}

const HEX64 = /^[0-9A-Fa-f]{64}$/;
const args = Deno.args;
const values = (name: string) =>
  args.flatMap((a, i) => (a === `--${name}` && args[i + 1] !== undefined ? [args[i + 1]!] : []));
const one = (name: string) => values(name)[0] ?? fail(`--${name} is required`);
const hex = (name: string) => {
  const v = one(name);
  if (!HEX64.test(v)) fail(`--${name} must be 64 hex characters`);
  return fromHex(v);
};
const realKeyPair = backend().keyPairFromSecretKey(hex("secret"));
const friend = hex("friend"), friendDht = hex("friend-dht");
const timeoutS = Number(values("timeout")[0] ?? "60");
if (!(timeoutS > 0 && timeoutS <= 600)) fail("--timeout must be 1..600 seconds");
const bootstrap = values("bootstrap").map((b) => {
  const m = /^(.+):(\d+):([0-9A-Fa-f]{64})$/.exec(b) ?? fail(`bad --bootstrap ${b}`);
  return { addr: parseAddr(`${m[1]}:${m[2]}`), publicKey: fromHex(m[3]!) };
});
if (bootstrap.length === 0) fail("give at least one --bootstrap");

const dhtKeyPair = backend().keyPair();
let onion: OnionDriver | undefined;
const onionEvents: string[] = [];
const report = await runDhtMeet({
  keyPair: realKeyPair,
  dhtKeyPair,
  peer: friendDht,
  bootstrap,
  bind: { hostname: "0.0.0.0", port: 33445 },
  timeoutMs: timeoutS * 1000,
  probe: "dht-ping",
  onDriver: (dht) => {
    onion = new OnionDriver({
      dht,
      dhtKeyPair,
      realKeyPair,
      serveOnion: true,
      onEvent: (e) => onionEvents.push(e.type),
    });
    onion.start();
    onion.addFriend(friend);
  },
  onRoutedRequest: (r, now) => onion?.handleRoutedRequest(r, now),
});
await onion?.close();
const counts: Record<string, number> = {};
for (const e of onionEvents) counts[e] = (counts[e] ?? 0) + 1;
console.log(JSON.stringify({ ...report, onionEvents: counts }));
