/**
 * The options `punch` and `connect` share: how to reach a peer (`--relay`, `--bootstrap`,
 * `--stun`, `--bind`, `--timeout`), who we are (`--key`) and, for a listener, whom to
 * answer (`--listen`, `--allow`, `--allow-any`). One parser, one set of usage errors.
 *
 * @example
 * ```ts
 * import { parsePeerOptions } from "./_peer_options.ts";
 * const o = parsePeerOptions("connect", undefined, {
 *   listen: true, allowAny: true, allow: [], relay: ["127.0.0.1:33445:" + "AB".repeat(32)],
 *   bootstrap: [], stun: [], timeout: "20",
 * });
 * console.assert(o.allow === "any" && o.relays[0]!.addr.port === 33445);
 * ```
 * @module
 */
import type { Zod } from "./_io.ts";
import type { IdentityChoice } from "./_identity.ts";
import { usageError } from "../lib/util/errors.ts";
import { type Addr, parseAddr } from "../lib/net/addr.ts";
import { parsePublicKey } from "../lib/identity/pubkey.ts";

/** A TCP relay or DHT node: address and key. */
export interface NodeSpec {
  /** Address. */
  addr: Addr;
  /** Public key. */
  publicKey: Uint8Array;
}

/** The raw shared options, as commander hands them over. */
export interface RawPeerOptions {
  /** `--listen`. */
  listen?: boolean | undefined;
  /** `--allow` (repeatable). */
  allow: string[];
  /** `--allow-any`. */
  allowAny?: boolean | undefined;
  /** `--relay` (repeatable). */
  relay: string[];
  /** `--bootstrap` (repeatable). */
  bootstrap: string[];
  /** `--stun` (repeatable). */
  stun: string[];
  /** `--timeout` seconds. */
  timeout: string;
  /** `--bind`. */
  bind?: string | undefined;
  /** `--key`. */
  key?: string | undefined;
}

/** Validated shared options. */
export interface PeerOptions {
  /** The peer to reach (absent with --listen). */
  peer?: Uint8Array;
  /** Peers a listener answers. */
  allow: Uint8Array[] | "any";
  /** Relays. */
  relays: NodeSpec[];
  /** DHT nodes: meet through the DHT instead of a relay. */
  bootstrap: NodeSpec[];
  /** STUN servers. */
  stun: Addr[];
  /** Give up after this (ms). */
  timeoutMs: number;
  /** Where to bind. */
  bind?: Addr;
  /** Identity. */
  identity: IdentityChoice;
}

/**
 * The zod fields of the shared options (a command adds its own).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { peerOptionFields } from "./_peer_options.ts";
 * console.assert(z.object(peerOptionFields(z)).parse({}).timeout === "20");
 * ```
 */
export function peerOptionFields(z: Zod) {
  return {
    listen: z.boolean().optional(),
    allow: z.array(z.string()).default([]),
    allowAny: z.boolean().optional(),
    relay: z.array(z.string()).default([]),
    bootstrap: z.array(z.string()).default([]),
    stun: z.array(z.string()).default([]),
    timeout: z.string().default("20"),
    bind: z.string().optional(),
    key: z.string().optional(),
  };
}

/**
 * Seconds in `[min, 86400]` as ms; a usage error otherwise.
 *
 * @example
 * ```ts
 * import { seconds } from "./_peer_options.ts";
 * console.assert(seconds("punch", "2.5", "--timeout", 1) === 2500);
 * ```
 */
export function seconds(cmd: string, v: string, what: string, min: number): number {
  const s = Number(v);
  if (!Number.isFinite(s) || s < min || s > 86_400) {
    throw usageError(`${cmd}: ${what} must be seconds in [${min}, 86400], got ${v}`);
  }
  return s * 1000;
}

/**
 * `IP:PORT:PUBKEY` (IPv6 in brackets) as a node; a usage error otherwise.
 *
 * @example
 * ```ts
 * import { nodeSpec } from "./_peer_options.ts";
 * console.assert(nodeSpec("punch", "[::1]:3389:" + "00".repeat(32)).addr.hostname === "::1");
 * ```
 */
export function nodeSpec(cmd: string, text: string, what = "--relay"): NodeSpec {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5}):([0-9a-fA-F]{64})$/.exec(text) ??
    /^([0-9.]+):(\d{1,5}):([0-9a-fA-F]{64})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw usageError(
      `${cmd}: ${what} must be IP:${what === "--relay" ? "TCP" : "UDP"}PORT:PUBKEY (64 hex), got ${
        JSON.stringify(text)
      }`,
    );
  }
  return {
    addr: { hostname: m[1]!, port: Number(m[2]) },
    publicKey: parsePublicKey(m[3]!, `${cmd}: relay key`),
  };
}

/**
 * `IP:PORT`; a usage error otherwise.
 *
 * @example
 * ```ts
 * import { addrOption } from "./_peer_options.ts";
 * console.assert(addrOption("punch", "127.0.0.1:3478", "--stun").port === 3478);
 * ```
 */
export function addrOption(cmd: string, text: string, what: string): Addr {
  try {
    return parseAddr(text);
  } catch {
    throw usageError(`${cmd}: ${what} must be IP:PORT, got ${JSON.stringify(text)}`);
  }
}

/**
 * Validates the shared options of `cmd` with the peer's `id` (usage errors exit 2).
 * `rules.relayAndBootstrap`: both may be given (punch: the DHT first, then the relays).
 *
 * @example
 * ```ts
 * import { parsePeerOptions } from "./_peer_options.ts";
 * try {
 *   parsePeerOptions("connect", undefined, { allow: [], relay: [], bootstrap: [], stun: [], timeout: "20" });
 * } catch (e) {
 *   console.assert((e as { usage: boolean }).usage);
 * }
 * ```
 */
export function parsePeerOptions(
  cmd: string,
  id: string | undefined,
  o: RawPeerOptions,
  rules: { relayAndBootstrap?: boolean } = {},
): PeerOptions {
  const peer = id !== undefined ? parsePublicKey(id, `${cmd}: id`) : undefined;
  if (o.listen && id !== undefined) {
    throw usageError(`${cmd}: give either <id> or --listen, not both`);
  }
  if (!o.listen && id === undefined) throw usageError(`${cmd}: give the peer's <id>, or --listen`);
  if (o.listen && !o.allowAny && o.allow.length === 0) {
    throw usageError(`${cmd}: --listen needs --allow KEY (repeatable) or --allow-any`);
  }
  if (!o.listen && (o.allowAny || o.allow.length > 0)) {
    throw usageError(`${cmd}: --allow and --allow-any go with --listen`);
  }
  if (o.bootstrap.length > 0 && o.relay.length > 0 && !rules.relayAndBootstrap) {
    throw usageError(`${cmd}: give either --relay or --bootstrap, not both`);
  }
  if (o.bootstrap.length > 0 && o.listen && (o.allowAny || o.allow.length !== 1)) {
    throw usageError(`${cmd}: --bootstrap with --listen needs exactly one --allow KEY`);
  }
  if (o.relay.length === 0 && o.bootstrap.length === 0) {
    throw usageError(`${cmd}: give at least one --relay IP:TCPPORT:PUBKEY (or --bootstrap)`);
  }
  const out: PeerOptions = {
    allow: o.allowAny ? "any" : o.allow.map((k) => parsePublicKey(k, `${cmd}: --allow`)),
    relays: o.relay.map((r) => nodeSpec(cmd, r)),
    bootstrap: o.bootstrap.map((b) => nodeSpec(cmd, b, "--bootstrap")),
    stun: o.stun.map((s) => addrOption(cmd, s, "--stun")),
    timeoutMs: seconds(cmd, o.timeout, "--timeout", 1),
    identity: o.key !== undefined ? { file: o.key } : "home",
  };
  if (peer) out.peer = peer;
  if (o.bind !== undefined) out.bind = addrOption(cmd, o.bind, "--bind");
  return out;
}

/** A command that options can be added to (commander's, any typing). */
interface Optionable {
  // deno-lint-ignore no-explicit-any
  option(flags: string, description: string, ...rest: any[]): any;
}

/**
 * Adds the shared options to a commander command (after the command's own).
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { addPeerOptions } from "./_peer_options.ts";
 * const c = new Command("connect");
 * addPeerOptions(c, "UDP address to use (default 0.0.0.0:0)");
 * console.assert(c.options.some((o) => o.long === "--relay"));
 * ```
 */
export function addPeerOptions(c: Optionable, bindHelp: string): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  c.option("--listen", "wait for a peer named with --allow (or any, with --allow-any)");
  c.option("--allow <key>", "peer a listener answers (64 hex, repeatable)", collect);
  c.option("--allow-any", "answer any peer (with --listen)");
  c.option("--relay <ip:tcpport:pubkey>", "TCP relay to meet through (repeatable)", collect);
  c.option(
    "--bootstrap <ip:udpport:pubkey>",
    "meet through the DHT instead (NAT pings via the peer's close nodes; repeatable)",
    collect,
  );
  c.option(
    "--stun <ip:port>",
    "STUN server for the public endpoint and NAT verdict (repeatable)",
    collect,
  );
  c.option("-t, --timeout <seconds>", "give up after this long", "20");
  c.option("--bind <ip:port>", bindHelp);
  c.option("--key <file>", "identity key file instead of <home>/identity.key");
}
