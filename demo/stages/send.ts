/**
 * Demo stage: `peerkit send`. Bob listens with `connect --listen --save-dir`, Alice sends
 * him a file by his key through a relay node; the receiver stores it under its base name
 * (a temporary file, synced, then linked to the name) and answers with its SHA-256 of what
 * it stored, which `send` compares with its own before it says "delivered".
 *
 * @example
 * ```ts ignore
 * import { sendStage } from "./send.ts";
 * await sendStage(console.log);
 * ```
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import { sha256 } from "../../lib/crypto/hash.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { formatPublicKey } from "../../lib/identity/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { cli, documentOf } from "./punch.ts";

const HOST = "127.0.0.1";
const SIZE = 4 << 20;

/**
 * Runs the stage on loopback and cleans up.
 *
 * @example
 * ```ts ignore
 * import { sendStage } from "./send.ts";
 * await sendStage((l) => console.log(l));
 * ```
 */
export async function sendStage(say: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const short = (hex: string) => hex.slice(0, 12) + "…";
  await using node = await RelayNode.start({ keyPair: backend().keyPair(), hostname: HOST });
  const tcp = node.tcpAddrs[0]!;
  const relay = `${formatAddr(tcp)}:${formatPublicKey(node.publicKey)}`;
  const dir = await Deno.makeTempDir({ prefix: "peerkit-demo-send-" });
  try {
    const homeA = `${dir}/alice`, homeB = `${dir}/bob`, inbox = `${dir}/inbox`;
    await Deno.mkdir(inbox, { recursive: true });
    const ka = documentOf(await cli(["--home", homeA, "--json", "keygen"]), "keygen").publicKey;
    const kb = documentOf(await cli(["--home", homeB, "--json", "keygen"]), "keygen").publicKey;
    const data = new Uint8Array(SIZE);
    for (let i = 0; i < SIZE; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;
    await Deno.writeFile(`${dir}/report.bin`, data);
    const mine = toHex(sha256(data));
    say(`alice has report.bin, 4 MiB, sha256 ${mine.slice(0, 16)}…`);
    if (signal?.aborted) return;
    const common = ["--relay", relay, "--bind", `${HOST}:0`, "--timeout", "15"];
    say(`$ peerkit connect --listen --allow ${short(ka)} --save-dir inbox --relay …   (bob)`);
    say(`$ peerkit send ${short(kb)} --file report.bin --relay …                     (alice)`);
    const [b, a] = await Promise.all([
      cli([
        "--home",
        homeB,
        "connect",
        "--listen",
        "--allow",
        ka,
        "--save-dir",
        inbox,
        "--recv-only",
        ...common,
      ]),
      cli(["--home", homeA, "--json", "send", kb, "--file", `${dir}/report.bin`, ...common]),
    ]);
    const d = documentOf(a, "alice's send");
    say(`alice offered report.bin (size and sha256); bob's receiver checked the name, accepted`);
    say(
      `  from offset ${d.resumedFrom}, and stored it as inbox/${d.storedAs} (temp file, fsync, link)`,
    );
    say(`paths used: ${d.paths.join(" -> ")}; ${d.bytes} bytes in ${d.timeMs} ms`);
    say(`bob's sha256 of what he stored: ${String(d.receiverSha256).slice(0, 16)}…`);
    const stored = toHex(sha256(await Deno.readFile(`${inbox}/${d.storedAs}`)));
    if (a.code !== 0 || d.result !== "delivered" || stored !== mine) {
      throw new Error(`expected a delivery, got ${d.result}: ${d.why ?? a.err.trim()}`);
    }
    say(`result: ${d.result} — both hashes match, so send exited 0 (bob's exit: ${b.code})`);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
