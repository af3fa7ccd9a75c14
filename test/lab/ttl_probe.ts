/**
 * The TTL on the wire, for the lab test: `recv PORT SECONDS` prints every datagram's text
 * received on 0.0.0.0:PORT within SECONDS as one JSON array (after a `ready` line); `send
 * HOST:PORT TTL...` sends `ttl-N` with each TTL through the batched Linux socket
 * (`sendWithTtl`), then `ttl-default` with the default TTL. Bad arguments: one line, exit 2.
 *
 * @example
 * ```ts ignore
 * // deno run -A test/lab/ttl_probe.ts send 203.0.113.10:4000 1 2
 * ```
 * @module
 */
import { parseAddr } from "../../lib/net/addr.ts";
import { bindLinuxUdp, canSetTtl } from "../../lib/net/udp_linux.ts";

function fail(msg: string): never {
  console.error(`ttl_probe: ${msg}`);
  Deno.exit(2);
}

const [mode, target, ...rest] = Deno.args;
if (mode === "recv") {
  const port = Number(target), seconds = Number(rest[0] ?? "3");
  if (!(port > 0 && port < 65536 && seconds > 0 && seconds <= 60)) fail("recv PORT SECONDS");
  const s = bindLinuxUdp({ hostname: "0.0.0.0", port }) ?? fail("no batched socket (FFI?)");
  const got: string[] = [];
  console.log("ready");
  const deadline = Date.now() + seconds * 1000;
  const timer = setTimeout(() => s.close(), seconds * 1000);
  try {
    while (Date.now() < deadline && got.length < 100) {
      got.push(new TextDecoder().decode((await s.receive()).data));
    }
  } catch { /* closed at the deadline */ }
  clearTimeout(timer);
  s.close();
  console.log(JSON.stringify(got));
} else if (mode === "send") {
  let to;
  try {
    to = parseAddr(target ?? "");
  } catch {
    fail("send HOST:PORT TTL...");
  }
  const ttls = rest.map(Number);
  if (ttls.some((t) => !Number.isInteger(t))) fail("TTLs must be integers");
  const s = bindLinuxUdp({ hostname: "0.0.0.0", port: 0 }) ?? fail("no batched socket (FFI?)");
  if (!canSetTtl(s)) fail("this socket cannot set a TTL");
  for (const t of ttls) await s.sendWithTtl(new TextEncoder().encode(`ttl-${t}`), to, t);
  await s.send(new TextEncoder().encode("ttl-default"), to);
  s.close();
  console.log(JSON.stringify({ sent: ttls.length + 1 }));
} else fail("usage: recv PORT SECONDS | send HOST:PORT TTL...");
