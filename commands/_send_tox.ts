/**
 * `send` to a Tox client (c-toxcore): the message goes as Messenger text messages
 * `[64][utf-8 text]`, split at {@link TOX_MAX_MESSAGE_TEXT} bytes (never inside a UTF-8
 * character), and counts as delivered once the peer's net_crypto has acknowledged every
 * packet that carried it — the same fact c-toxcore's own read receipt rests on. There is
 * no content hash: a Tox client proves nothing about what it stored. A file or stdin is
 * refused (Tox file transfer is not built).
 *
 * @example
 * ```ts
 * import { splitToxText } from "./_send_tox.ts";
 * console.assert(splitToxText("hi").length === 1 && splitToxText("x".repeat(1373)).length === 2);
 * ```
 * @module
 */
import { MESSENGER, type PeerChannel, TOX_MAX_MESSAGE_TEXT } from "../lib/link/channel.ts";
import { EXIT, type GlobalOptions, type Io } from "./_io.ts";
import type { Payload } from "./send.ts";

/**
 * The UTF-8 bytes of `text` in pieces of at most `max` bytes, each cut before a
 * continuation byte so no character is split (an empty text is one empty piece).
 *
 * @example
 * ```ts
 * import { splitToxText } from "./_send_tox.ts";
 * const parts = splitToxText("é".repeat(3), 3); // 2 bytes each: never split
 * console.assert(parts.length === 3 && parts.every((p) => p.length === 2));
 * ```
 */
export function splitToxText(text: string, max = TOX_MAX_MESSAGE_TEXT): Uint8Array[] {
  const b = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    let end = Math.min(b.length, at + max);
    while (end < b.length && end > at + 1 && (b[end]! & 0xc0) === 0x80) end--;
    out.push(b.subarray(at, end));
    at = end;
  } while (at < b.length);
  return out;
}

/**
 * Sends `payload` to the Tox client on `ch` and reports; returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await sendToTox(ch, { kind: "message", text: "hi" }, g, io);
 * ```
 */
export async function sendToTox(
  ch: PeerChannel,
  payload: Payload,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const who = `${ch.peer.slice(0, 8)}…`;
  if (payload.kind !== "message") {
    io.err(
      `peerkit: send: ${who} is a Tox client: it takes text messages only (Tox file transfer is not built)`,
    );
    return EXIT.FAILED;
  }
  const t0 = Date.now();
  const parts = splitToxText(payload.text);
  let bytes = 0;
  let ended = false;
  ch.ended.then(() => ended = true);
  try {
    for (const p of parts) {
      const m = new Uint8Array(1 + p.length);
      m[0] = MESSENGER.MESSAGE;
      m.set(p, 1);
      await ch.send(m);
      bytes += p.length;
    }
    await ch.drained(); // resolves on the acknowledgement, or when the channel ended
    if (ended) throw new Error("ended");
  } catch {
    const why = `the session to ${who} ended before every message was acknowledged`;
    if (g.json) io.out(JSON.stringify({ result: "lost", delivered: false, peer: ch.peer, why }));
    else io.err(`peerkit: send: message not delivered (lost): ${why}`);
    return EXIT.FAILED;
  }
  const ms = Date.now() - t0;
  const doc = {
    result: "delivered",
    delivered: true,
    peer: ch.peer,
    peerKind: "tox",
    bytes,
    messages: parts.length,
    timeMs: ms,
    paths: [...ch.pathsUsed],
    proof: "net_crypto acknowledgement (no content hash from a Tox client)",
  };
  if (g.json) io.out(JSON.stringify(doc));
  else if (!g.quiet) {
    io.out(
      `delivered message (${bytes} bytes in ${parts.length} Tox message${
        parts.length === 1 ? "" : "s"
      }) to ${who} (a Tox client): acknowledged by its net_crypto in ${
        (ms / 1000).toFixed(2)
      } s, path ${ch.pathsUsed.join(" → ") || "?"}`,
    );
  }
  return EXIT.OK;
}
