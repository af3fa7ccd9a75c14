/**
 * Transports: interfaces, Deno adapters, an in-memory network and clocks.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, VirtualClock } from "./mod.ts";
 * const net = new MemoryNetwork({ clock: new VirtualClock() });
 * const s = await net.bindDatagram({ hostname: "10.0.0.1", port: 0 });
 * s.close();
 * ```
 * @module
 */
export * from "./addr.ts";
export * from "./types.ts";
export * from "./clock.ts";
export * from "./queue.ts";
export * from "./memory.ts";
export { denoNetwork } from "./deno.ts";
export * from "./ip.ts";
export * from "./nat.ts";
export * from "./nat_options.ts";
export * from "./random.ts";
