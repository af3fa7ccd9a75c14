/**
 * Demo stage: `peerkit connect`, netcat between two keys. Bob listens for Alice's key,
 * Alice connects to Bob's; each pipes one line in, and each line comes out on the other's
 * stdout. The session starts on the relay, a punch runs in the background on the session's
 * own socket, and the traffic moves to the direct path (the relay route is dropped). The
 * path events come from `--json` on stderr: stdout carries only the peer's bytes.
 *
 * @example
 * ```ts ignore
 * import { connectStage } from "./connect.ts";
 * await connectStage(console.log);
 * ```
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { formatPublicKey } from "../../lib/identity/mod.ts";
import { main } from "../../cli.ts";

const HOST = "127.0.0.1";
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/**
 * `connect` as its own process (its stdin and stdout are the stream): `line` goes in, and
 * stdin stays open until the direct path is up (at most 8 s), so the move shows.
 */
async function connect(home: string, args: string[], line: string, signal?: AbortSignal) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "--home", home, "--json", "connect", ...args],
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stop = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
  };
  signal?.addEventListener("abort", stop, { once: true });
  const timer = setTimeout(stop, 30_000);
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(line));
  const d = new TextDecoder();
  let err = "";
  let direct!: () => void;
  const wentDirect = new Promise<void>((r) => direct = r);
  const reading = (async () => {
    for await (const c of child.stderr) {
      err += d.decode(c, { stream: true });
      if (/"path":"direct"/.test(err)) direct();
    }
  })();
  const out = new Response(child.stdout).arrayBuffer();
  const wait = new Promise<void>((r) => setTimeout(r, 8_000));
  await Promise.race([wentDirect, wait]);
  await w.close().catch(() => {});
  const status = await child.status;
  await reading;
  clearTimeout(timer);
  signal?.removeEventListener("abort", stop);
  const events = err.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  return { code: status.code, out: d.decode(await out), events, err };
}

/**
 * Runs the stage on loopback and cleans up.
 *
 * @example
 * ```ts ignore
 * import { connectStage } from "./connect.ts";
 * await connectStage((l) => console.log(l));
 * ```
 */
export async function connectStage(
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const short = (hex: string) => hex.slice(0, 12) + "…";
  await using node = await RelayNode.start({ keyPair: backend().keyPair(), hostname: HOST });
  const tcp = node.tcpAddrs[0]!;
  const relayKey = formatPublicKey(node.publicKey);
  const relay = `${formatAddr(tcp)}:${relayKey}`;
  const shown = `${formatAddr(tcp)}:${short(relayKey)}`;
  const homeA = await Deno.makeTempDir({ prefix: "peerkit-demo-connect-a-" });
  const homeB = await Deno.makeTempDir({ prefix: "peerkit-demo-connect-b-" });
  try {
    const key = async (home: string) => {
      let out = "";
      await main(["--home", home, "--json", "keygen"], { out: (t) => out += t, err: () => {} });
      return JSON.parse(out).publicKey as string;
    };
    const ka = await key(homeA), kb = await key(homeB);
    say(`alice is ${short(ka)}, bob is ${short(kb)}; a relay on TCP ${formatAddr(tcp)}`);
    const common = ["--relay", relay, "--bind", `${HOST}:0`, "--timeout", "15"];
    say(
      `$ echo "hello alice, bob here" | peerkit connect --listen --allow ${
        short(ka)
      } --relay ${shown}`,
    );
    say(`$ echo "hello bob, alice here" | peerkit connect ${short(kb)} --relay ${shown}`);
    const [b, a] = await Promise.all([
      connect(homeB, ["--listen", "--allow", ka, ...common], "hello alice, bob here\n", signal),
      connect(homeA, [kb, ...common], "hello bob, alice here\n", signal),
    ]);
    for (const e of a.events.filter((e) => e.event === "path")) {
      const at = e.remote ?? e.relay;
      say(`alice, +${e.atMs} ms: path ${e.path}${at ? ` (${at})` : ""}: ${e.why}`);
    }
    say(`bob's stdout:   ${JSON.stringify(b.out)}`);
    say(`alice's stdout: ${JSON.stringify(a.out)}`);
    const end = a.events.find((e) => e.event === "end");
    if (end) {
      say(
        `alice: ${end.outcome}, ${end.bytesSent} bytes sent, ${end.bytesReceived} received, ` +
          `over ${end.paths.join(" → ")}, exit ${a.code}; bob exit ${b.code}`,
      );
    }
    if (a.code !== 0 || b.code !== 0) {
      const last = (a.code !== 0 ? a.err : b.err).trim().split("\n").at(-1);
      throw new Error(`connect exited ${a.code} / ${b.code}: ${last}`);
    }
    if (b.out !== "hello bob, alice here\n" || a.out !== "hello alice, bob here\n") {
      throw new Error("a line did not arrive intact");
    }
    say("each line came out on the other side, byte for byte, end-to-end encrypted");
  } finally {
    await Deno.remove(homeA, { recursive: true }).catch(() => {});
    await Deno.remove(homeB, { recursive: true }).catch(() => {});
  }
}
