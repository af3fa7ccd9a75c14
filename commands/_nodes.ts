/**
 * Where `bootstrap` and `lookup` start from: `HOST:PORT:PUBKEY` specs, the Tox `nodes.json`
 * format, the nodes saved in the state directory by the previous run, and a short built-in
 * list of public Tox bootstrap nodes. Files, DNS and messages for humans live here, beside
 * the commands, not in the protocol library.
 *
 * @example
 * ```ts
 * import { parseNodeSpec } from "./_nodes.ts";
 * const n = parseNodeSpec("127.0.0.1:33445:" + "AB".repeat(32));
 * console.assert(n.port === 33445 && n.host === "127.0.0.1");
 * ```
 * @module
 */
import { z } from "zod";
import { parseIp } from "../lib/net/ip.ts";
import { type Addr, parseAddr } from "../lib/net/addr.ts";
import { fromHex, isHex, toHex } from "../lib/util/bytes.ts";
import { PeerkitError, usageError } from "../lib/util/errors.ts";
import type { NodeInfo } from "../lib/dht/packed_node.ts";
import { ensureStateDir } from "../lib/identity/home.ts";

/** A bootstrap node as configured: host (IP or DNS name), UDP port, hex public key. */
export interface BootstrapNode {
  /** IPv4/IPv6 literal or DNS name. */
  host: string;
  /** UDP port. */
  port: number;
  /** 64 hex characters. */
  publicKey: string;
}

/**
 * Public Tox bootstrap nodes (from the community list at wiki.tox.chat/users/nodes), the
 * default start for machines with internet access. Tests never contact them.
 */
export const BUILTIN_NODES: readonly BootstrapNode[] = [
  {
    host: "144.217.167.73",
    port: 33445,
    publicKey: "7E5668E0EE09E19F320AD47902419331FFEE147BB3606769CFBE921A2A2FD34C",
  },
  {
    host: "tox.abilinski.com",
    port: 33445,
    publicKey: "10C00EB250C3233E343E2AEBA07115A5C28920E9C8D29492F6D00B29049EDC7E",
  },
  {
    host: "198.199.98.108",
    port: 33445,
    publicKey: "BEF0CFB37AF874BD17B9A8F9FE64C75521DB95A37D33C5BDB00E9CF58659C04F",
  },
  {
    host: "tox.kurnevsky.net",
    port: 33445,
    publicKey: "82EF82BA33445A1F91A7DB27189ECFC0C013E06E3DA71F588ED692BED625EC23",
  },
  {
    host: "46.101.197.175",
    port: 33445,
    publicKey: "CD133B521159541FB1D326DE9850F5E56A6C724B5B8E5EB5CD8D950408E95707",
  },
  {
    host: "tox1.mf-net.eu",
    port: 33445,
    publicKey: "B3E5FA80DC8EBD1149AD2AB35ED8B85BD546DEDE261CA593234C619249419506",
  },
];

/**
 * Parses `HOST:PORT:PUBKEY` (`[v6]:PORT:PUBKEY` for IPv6); a usage error otherwise.
 *
 * @example
 * ```ts
 * import { parseNodeSpec } from "./_nodes.ts";
 * console.assert(parseNodeSpec("[::1]:1:" + "00".repeat(32)).host === "::1");
 * ```
 */
export function parseNodeSpec(text: string): BootstrapNode {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5}):([0-9a-fA-F]{64})$/.exec(text) ??
    /^([^:\[\]\s]+):(\d{1,5}):([0-9a-fA-F]{64})$/.exec(text);
  if (!m) {
    throw usageError(`not HOST:PORT:PUBKEY (64 hex): ${JSON.stringify(text)}`, "BAD_NODE");
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw usageError(`port out of range: ${m[2]}`, "BAD_NODE");
  const host = checkHost(m[1]!, `node ${text}`, "BAD_NODE");
  return { host, port, publicKey: m[3]!.toUpperCase() };
}

/**
 * True for a host name as RFC 1123 allows it: dot-separated labels of 1-63 letters, digits
 * and inner hyphens, at most 253 characters, and a last label that is not all digits (so
 * `300.1.1.1` is a bad IPv4 address, not a name).
 *
 * @example
 * ```ts
 * import { isHostName } from "./_nodes.ts";
 * console.assert(isHostName("tox.example.org") && !isHostName("bad_host!") && !isHostName("300.1.1.1"));
 * ```
 */
export function isHostName(name: string): boolean {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return false;
  const labels = n.split(".");
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false;
  return labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/**
 * Returns `host` when it is an IP address or a valid host name ({@link isHostName}); any
 * other text is a usage error that names it.
 *
 * @example
 * ```ts
 * import { checkHost } from "./_nodes.ts";
 * console.assert(checkHost("::1", "--host") === "::1");
 * try {
 *   checkHost("300.1.1.1", "--host");
 * } catch (e) {
 *   console.assert((e as Error).message.includes('"300.1.1.1"'));
 * }
 * ```
 */
export function checkHost(host: string, what: string, code = "BAD_HOST"): string {
  if (parseIp(host) || isHostName(host)) return host;
  throw usageError(
    `${what}: ${JSON.stringify(host)} is neither an IP address nor a valid host name`,
    code,
  );
}

const NodesJson = z.object({
  nodes: z.array(
    z.object({
      ipv4: z.string().optional(),
      ipv6: z.string().optional(),
      port: z.number().int().min(1).max(65535),
      public_key: z.string().regex(/^[0-9a-fA-F]{64}$/),
      tcp_ports: z.array(z.number()).optional(),
    }).passthrough(),
  ),
}).passthrough();

const usable = (h: string | undefined) => h !== undefined && h !== "" && h !== "-" && h !== "NONE";

/**
 * Parses the Tox nodes.json format (`{"nodes":[{"ipv4","ipv6","port","public_key",…}]}`),
 * preferring IPv4; nodes with neither address are skipped. Bad JSON is a usage error.
 *
 * @example
 * ```ts
 * import { parseNodesJson } from "./_nodes.ts";
 * const t = JSON.stringify({ nodes: [{ ipv4: "1.2.3.4", ipv6: "-", port: 33445, public_key: "00".repeat(32), tcp_ports: [] }] });
 * console.assert(parseNodesJson(t)[0]!.host === "1.2.3.4");
 * ```
 */
export function parseNodesJson(text: string): BootstrapNode[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw usageError(`nodes file is not JSON: ${(e as Error).message}`, "BAD_NODES_FILE");
  }
  const r = NodesJson.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw usageError(
      `nodes file: ${i?.path.join(".") ?? ""} ${i?.message ?? "invalid"}`,
      "BAD_NODES_FILE",
    );
  }
  const out: BootstrapNode[] = [];
  r.data.nodes.forEach((n, i) => {
    const host = usable(n.ipv4) ? n.ipv4! : usable(n.ipv6) ? n.ipv6! : undefined;
    if (host === undefined) return;
    checkHost(host, `nodes file: nodes.${i}`, "BAD_NODES_FILE");
    out.push({ host, port: n.port, publicKey: n.public_key.toUpperCase() });
  });
  return out;
}

/** File name of the saved nodes inside the state directory. */
export const SAVED_NODES_FILE = "dht-nodes.json";

const SavedNodes = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  nodes: z.array(z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    publicKey: z.string().regex(/^[0-9A-Fa-f]{64}$/),
  })),
});

/**
 * Path of the saved-nodes file.
 *
 * @example
 * ```ts
 * import { savedNodesPath } from "./_nodes.ts";
 * console.assert(savedNodesPath("/h") === "/h/dht-nodes.json");
 * ```
 */
export function savedNodesPath(home: string): string {
  return `${home.replace(/\/+$/, "") || "/"}/${SAVED_NODES_FILE}`;
}

/**
 * Reads the nodes saved by a previous run; `[]` when there is no file. A corrupt file is an
 * error with code `BAD_STATE`.
 *
 * @example
 * ```ts
 * import { loadSavedNodes } from "./_nodes.ts";
 * console.assert((await loadSavedNodes("/nonexistent-dir")).length === 0);
 * ```
 */
export async function loadSavedNodes(home: string): Promise<BootstrapNode[]> {
  const path = savedNodesPath(home);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new PeerkitError("BAD_STATE", `cannot read ${path}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PeerkitError("BAD_STATE", `${path} is not JSON; delete it`, { cause: e });
  }
  const r = SavedNodes.safeParse(raw);
  if (!r.success) {
    throw new PeerkitError("BAD_STATE", `${path} is not a saved-nodes file; delete it`);
  }
  return r.data.nodes.map((n) => ({ ...n, publicKey: n.publicKey.toUpperCase() }));
}

/**
 * Saves nodes (at most `max`) to the state directory, atomically.
 *
 * @example
 * ```ts
 * import { loadSavedNodes, saveNodes } from "./_nodes.ts";
 * const home = await Deno.makeTempDir();
 * await saveNodes(home, [{ host: "127.0.0.1", port: 1, publicKey: "00".repeat(32) }]);
 * console.assert((await loadSavedNodes(home)).length === 1);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function saveNodes(home: string, nodes: BootstrapNode[], max = 64): Promise<string> {
  await ensureStateDir(home);
  const path = savedNodesPath(home);
  const doc = { version: 1, savedAt: new Date().toISOString(), nodes: nodes.slice(0, max) };
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(doc, null, 2) + "\n");
  await Deno.rename(tmp, path);
  return path;
}

/**
 * A {@link NodeInfo} as a {@link BootstrapNode}.
 *
 * @example
 * ```ts
 * import { toBootstrapNode } from "./_nodes.ts";
 * const b = toBootstrapNode({ publicKey: new Uint8Array(32), addr: { hostname: "::1", port: 2 } });
 * console.assert(b.host === "::1" && b.publicKey.length === 64);
 * ```
 */
export function toBootstrapNode(n: NodeInfo): BootstrapNode {
  return { host: n.addr.hostname, port: n.addr.port, publicKey: toHex(n.publicKey).toUpperCase() };
}

/**
 * Resolves a bootstrap node's host (DNS names through `Deno.resolveDns`, IPv4 first);
 * `undefined` when it does not resolve.
 *
 * @example
 * ```ts
 * import { resolveNode } from "./_nodes.ts";
 * const n = await resolveNode({ host: "127.0.0.1", port: 5, publicKey: "00".repeat(32) });
 * console.assert(n?.addr.port === 5);
 * ```
 */
export async function resolveNode(n: BootstrapNode): Promise<NodeInfo | undefined> {
  if (!isHex(n.publicKey, 32)) return undefined;
  const publicKey = fromHex(n.publicKey);
  if (parseIp(n.host)) return { publicKey, addr: { hostname: n.host, port: n.port } };
  for (const type of ["A", "AAAA"] as const) {
    try {
      const ips = await Deno.resolveDns(n.host, type);
      const ip = ips[0];
      if (ip) return { publicKey, addr: { hostname: ip, port: n.port } as Addr };
    } catch { /* try the next type */ }
  }
  return undefined;
}

/** Where {@link resolveStartNodes} took the nodes from. */
export type NodeSource = "arguments" | "file" | "saved" | "builtin";

/**
 * Picks the start nodes: explicit specs, else a nodes.json file, else the saved nodes, else
 * (only when `builtin` is allowed) the built-in public list; then resolves them. Nodes that
 * do not resolve are returned in `unresolved`.
 *
 * @example
 * ```ts
 * import { resolveStartNodes } from "./_nodes.ts";
 * const r = await resolveStartNodes({ specs: ["127.0.0.1:9:" + "00".repeat(32)], home: "/nonexistent", builtin: false });
 * console.assert(r.source === "arguments" && r.nodes.length === 1);
 * ```
 */
export async function resolveStartNodes(o: {
  specs: string[];
  nodesFile?: string;
  home: string;
  builtin: boolean;
}): Promise<{ source: NodeSource; nodes: NodeInfo[]; unresolved: BootstrapNode[] }> {
  let list: BootstrapNode[];
  let source: NodeSource;
  if (o.specs.length > 0) {
    list = o.specs.map(parseNodeSpec);
    source = "arguments";
  } else if (o.nodesFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(o.nodesFile);
    } catch (e) {
      throw usageError(`cannot read nodes file ${o.nodesFile}: ${(e as Error).message}`);
    }
    list = parseNodesJson(text);
    source = "file";
  } else {
    list = await loadSavedNodes(o.home);
    source = "saved";
    if (list.length === 0 && o.builtin) {
      list = [...BUILTIN_NODES];
      source = "builtin";
    }
  }
  const nodes: NodeInfo[] = [], unresolved: BootstrapNode[] = [];
  for (const b of list) {
    const n = await resolveNode(b);
    if (n) nodes.push(n);
    else unresolved.push(b);
  }
  return { source, nodes, unresolved };
}

/**
 * Parses a `--listen HOST:PORT` value whose host must be an IP address or a valid host name.
 *
 * @example
 * ```ts
 * import { parseListen } from "./_nodes.ts";
 * console.assert(parseListen("127.0.0.1:0", "lookup").hostname === "127.0.0.1");
 * try {
 *   parseListen("bad_host!:1", "lookup");
 * } catch (e) {
 *   console.assert((e as { usage: boolean }).usage);
 * }
 * ```
 */
export function parseListen(text: string, command: string): Addr {
  let addr: Addr;
  try {
    addr = parseAddr(text);
  } catch (e) {
    throw usageError(`${command}: --listen: ${(e as Error).message}`);
  }
  checkHost(addr.hostname, `${command}: --listen`);
  return addr;
}
