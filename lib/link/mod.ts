/**
 * Sessions to peers over the best path, and the channel that runs on them: {@link Link}
 * (dial, listen, path events), {@link PeerChannel} (the seam `connect` and `send` use).
 *
 * @example
 * ```ts
 * import { Link, PACKET } from "./mod.ts";
 * console.assert(typeof Link.open === "function" && PACKET.STREAM_DATA === 160);
 * ```
 * @module
 */
export * from "./channel.ts";
export * from "./errors.ts";
export * from "./link.ts";
export * from "./peer_state.ts";
export * from "./path_watch.ts";
export * from "./peer_channel.ts";
