/** Sending datagrams to a running node on 127.0.0.1 and collecting what comes back. */

/**
 * Sends `packets` from one fresh UDP socket on 127.0.0.1 to `port` and returns the lengths
 * of the datagrams that came back within `ms`.
 */
export async function answersTo(
  port: number,
  packets: Uint8Array[],
  ms = 600,
): Promise<number[]> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  for (const p of packets) await s.send(p, { transport: "udp", hostname: "127.0.0.1", port });
  const got: number[] = [];
  const deadline = Date.now() + ms;
  const loop = (async () => {
    try {
      for (;;) got.push((await s.receive())[0].length);
    } catch { /* closed */ }
  })();
  while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  s.close();
  await loop;
  return got;
}
