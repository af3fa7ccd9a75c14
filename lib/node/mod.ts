/**
 * The composition layer of a node's UDP side: one socket, one packet-kind table in which
 * several layers register guarded handlers, one thin driver that owns the socket.
 *
 * @example
 * ```ts
 * import { PacketTable } from "./mod.ts";
 * const t = new PacketTable();
 * t.register("boom", [0x99], () => { throw new Error("bug"); });
 * t.dispatch(new Uint8Array([0x99]), { hostname: "127.0.0.1", port: 1 }, 0);
 * console.assert(t.stats.errors.get(0x99) === 1);
 * ```
 * @module
 */
export * from "./table.ts";
export * from "./host.ts";
export * from "./stack.ts";
