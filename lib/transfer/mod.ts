/**
 * One-shot delivery over a {@link import("../link/channel.ts").PeerChannel}: a message, a
 * file or a stream, with an end-to-end acknowledgement (the receiver's SHA-256 of what it
 * stored), resume of a broken-off file, and a store that never overwrites or escapes its
 * save directory. `peerkit send` and `connect --listen` are built on it.
 *
 * @example
 * ```ts
 * import { badName, encodeTransfer, TRANSFER } from "./mod.ts";
 * console.assert(encodeTransfer({ type: "abort", reason: "" })[0] === TRANSFER.ABORT);
 * console.assert(badName("../x") !== null);
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./wire.ts";
export * from "./names.ts";
export * from "./sender.ts";
export * from "./receiver.ts";
export * from "./store.ts";
export * from "./source.ts";
export * from "./send_driver.ts";
export * from "./receive_driver.ts";
export * from "./progress.ts";
