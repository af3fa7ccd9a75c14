/**
 * A scriptable real c-toxcore client for interop tests: `test/interop/toxclient.c`, compiled
 * on demand against Debian's `libtoxcore-dev` (cached by source hash under
 * `test/interop/build/`) and driven over its stdin/stdout line protocol.
 *
 * Typical use: start a node (tox-bootstrapd, or `peerkit relay serve`), start two clients,
 * point both at the node, make them friends, exchange messages.
 *
 * @example
 * ```ts ignore
 * import { startBootstrapd } from "./toxcore.ts";
 * import { makeFriends, startToxClient } from "./toxclient.ts";
 * await using node = await startBootstrapd();
 * await using alice = await startToxClient({ udp: false, name: "alice" });
 * await using bob = await startToxClient({ udp: false, name: "bob" });
 * for (const c of [alice, bob]) await c.useNode(node);
 * const [bobOnAlice, aliceOnBob] = await makeFriends(alice, bob);
 * await alice.send(bobOnAlice, "hi");
 * await bob.waitForMessage(aliceOnBob, "hi");
 * ```
 * @module
 */
import { freePort } from "./toxcore.ts";

/** Connection state as c-toxcore reports it (`TOX_CONNECTION_*`). */
export type ConnectionKind = "none" | "tcp" | "udp";

/** One event printed by the client; `line` is the raw line. */
export type ToxEvent =
  | {
    kind: "ready";
    toxId: string;
    publicKey: string;
    dhtPublicKey: string;
    udpPort: number;
    line: string;
  }
  | { kind: "self_connection"; status: ConnectionKind; line: string }
  | { kind: "friend_connection"; friend: number; status: ConnectionKind; line: string }
  | { kind: "friend_request"; publicKey: string; text: string; line: string }
  | { kind: "message"; friend: number; text: string; line: string }
  | { kind: "other"; line: string };

/** What {@link ToxClient.waitFor} matches: a regular expression on the raw line, or a test. */
export type EventMatch = RegExp | ((e: ToxEvent) => boolean);

/** A node to join: a UDP DHT port, a TCP relay port, or both, and its DHT public key. */
export interface ToxNode {
  /** Host to reach it on (default `127.0.0.1`). */
  host?: string;
  /** UDP DHT port (0 or absent: no `bootstrap`). */
  udpPort?: number;
  /** TCP relay port (0 or absent: no `add_tcp_relay`). */
  tcpPort?: number;
  /** Its DHT public key, 64 hex characters. */
  publicKeyHex: string;
}

/** Options of {@link startToxClient}. */
export interface ToxClientOptions {
  /** UDP on (default) or off (TCP-only mode: it reaches others through TCP relays only). */
  udp?: boolean;
  /** UDP port (default: a free port never handed out before in this process). */
  port?: number;
  /** Print toxcore's own log to the client's stderr (see {@link ToxClient.stderr}). */
  verbose?: boolean;
  /** Name used in error messages (default `toxclient`). */
  name?: string;
  /** Words to run the client under, e.g. `["ip", "netns", "exec", NS]` (default none). */
  prefix?: string[];
}

/** A running c-toxcore client. Every method is bounded in time and rejects on failure. */
export interface ToxClient extends AsyncDisposable {
  /** Name given at start. */
  readonly name: string;
  /** Process id. */
  readonly pid: number;
  /** Tox ID (76 upper hex: public key, nospam, checksum), for friend requests. */
  readonly toxId: string;
  /** Long-term public key (64 upper hex), for {@link addFriendNoRequest}. */
  readonly publicKey: string;
  /** DHT public key (64 upper hex): the key relays and DHT nodes see. */
  readonly dhtPublicKey: string;
  /** Bound UDP port, 0 in TCP-only mode. */
  readonly udpPort: number;
  /** `tox_bootstrap`: a UDP DHT node. */
  bootstrap(host: string, port: number, keyHex: string): Promise<void>;
  /** `tox_add_tcp_relay`: a TCP relay. */
  addTcpRelay(host: string, port: number, keyHex: string): Promise<void>;
  /**
   * Bootstraps from `node.udpPort` and adds `node.tcpPort` as relay, whichever are given.
   * TCP-only clients need both (the onion takes its path nodes from the DHT).
   */
  useNode(node: ToxNode): Promise<void>;
  /** `tox_friend_add_norequest`; resolves to the friend number. */
  addFriendNoRequest(publicKeyHex: string): Promise<number>;
  /** `tox_friend_add` (sends a friend request); resolves to the friend number. */
  addFriend(toxId: string, text: string): Promise<number>;
  /** `tox_friend_send_message` (normal type); resolves to the message id. */
  send(friend: number, text: string): Promise<number>;
  /**
   * `tox_file_send` of `size` pattern bytes (see toxclient.c); resolves to the file number.
   * Watch for `file_sent` here and `file_done` on the receiver with {@link waitFor}.
   */
  fileSend(friend: number, size: number): Promise<number>;
  /** Current self connection and friend connections, asked from toxcore. */
  status(): Promise<{ self: ConnectionKind; friends: Map<number, ConnectionKind> }>;
  /**
   * The first event at index `since` (default 0: the whole history) or later that matches;
   * rejects after `timeoutMs` (default 30 s) or when the client exits.
   */
  waitFor(match: EventMatch, timeoutMs?: number, opts?: { since?: number }): Promise<ToxEvent>;
  /** Waits until the client is online (any state but none); resolves to that state. */
  waitForOnline(timeoutMs?: number): Promise<ConnectionKind>;
  /** Waits for a friend connection state (default: any but none); resolves to it. */
  waitForFriend(
    friend: number,
    opts?: { status?: ConnectionKind; timeoutMs?: number; since?: number },
  ): Promise<ConnectionKind>;
  /** Waits for a message with exactly `text` from `friend`. */
  waitForMessage(friend: number, text: string, timeoutMs?: number): Promise<void>;
  /** All events so far, oldest first (a copy). Its length is a cursor for `since`. */
  events(): ToxEvent[];
  /** Everything the client wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM by PID, SIGKILL after 2 s, waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

const COMMAND_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 10_000;
const COMPILE_TIMEOUT_MS = 60_000;
const DEFAULT_WAIT_MS = 30_000;
const SOURCE = new URL("../interop/toxclient.c", import.meta.url);
const BUILD_DIR = new URL("../interop/build/", import.meta.url);

let binary: Promise<string> | undefined;

/**
 * Path of the compiled client, compiling it first if this source and these flags were never
 * built (`gcc ... $(pkg-config --cflags --libs toxcore)`).
 *
 * @example
 * ```ts ignore
 * import { toxClientBinary } from "./toxclient.ts";
 * console.log(await toxClientBinary());
 * ```
 */
export function toxClientBinary(): Promise<string> {
  binary ??= compile().catch((e) => {
    binary = undefined;
    throw e;
  });
  return binary;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, COMPILE_TIMEOUT_MS);
  const out = await child.output().finally(() => clearTimeout(timer));
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

async function compile(): Promise<string> {
  const source = await Deno.readTextFile(SOURCE);
  const flags = (await run("pkg-config", ["--cflags", "--libs", "toxcore"])).trim().split(/\s+/)
    .filter((f) => f !== "");
  const gccArgs = ["-std=c11", "-O2", "-Wall", "-Wextra"];
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(`${source}\0${[...gccArgs, ...flags].join(" ")}`),
    ),
  );
  const hash = Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  const out = new URL(`toxclient-${hash}`, BUILD_DIR).pathname;
  try {
    await Deno.stat(out);
    return out;
  } catch { /* not built yet */ }
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const tmp = `${out}.${Deno.pid}.tmp`;
  await run("gcc", [...gccArgs, "-o", tmp, SOURCE.pathname, ...flags]);
  await Deno.rename(tmp, out);
  return out;
}

/**
 * Escapes text for the line protocol: backslash as `\\`, control bytes as `\xHH`.
 *
 * @example
 * ```ts
 * import { escapeText } from "./toxclient.ts";
 * console.assert(escapeText("a\nb\\") === "a\\x0Ab\\\\");
 * ```
 */
export function escapeText(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === "\\") out += "\\\\";
    else if (code < 0x20 || code === 0x7f) {
      out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    } else out += c;
  }
  return out;
}

/**
 * Undoes {@link escapeText}.
 *
 * @example
 * ```ts
 * import { unescapeText } from "./toxclient.ts";
 * console.assert(unescapeText("a\\x0Ab\\\\") === "a\nb\\");
 * ```
 */
export function unescapeText(text: string): string {
  return text.replace(
    /\\(\\|x[0-9A-Fa-f]{2})/g,
    (_, e: string) => e === "\\" ? "\\" : String.fromCharCode(parseInt(e.slice(1), 16)),
  );
}

const CONNECTION = /^(none|tcp|udp)$/;

/**
 * Parses one event line of the client.
 *
 * @example
 * ```ts
 * import { parseEvent } from "./toxclient.ts";
 * const e = parseEvent("friend_connection 0 tcp");
 * console.assert(e.kind === "friend_connection" && e.status === "tcp");
 * ```
 */
export function parseEvent(line: string): ToxEvent {
  const [kind = "", a = "", ...rest] = line.split(" ");
  const b = rest.join(" ");
  let m: RegExpExecArray | null;
  if (
    kind === "ready" && (m = /^([0-9A-F]{76}) ([0-9A-F]{64}) ([0-9A-F]{64}) (\d+)$/.exec(
      line.slice(6),
    ))
  ) {
    return {
      kind,
      toxId: m[1]!,
      publicKey: m[2]!,
      dhtPublicKey: m[3]!,
      udpPort: Number(m[4]),
      line,
    };
  }
  if (kind === "self_connection" && CONNECTION.test(a) && b === "") {
    return { kind, status: a as ConnectionKind, line };
  }
  if (kind === "friend_connection" && /^\d+$/.test(a) && CONNECTION.test(b)) {
    return { kind, friend: Number(a), status: b as ConnectionKind, line };
  }
  if (kind === "friend_request" && /^[0-9A-F]{64}$/.test(a)) {
    return { kind, publicKey: a, text: unescapeText(b), line };
  }
  if (kind === "message" && /^\d+$/.test(a)) {
    return { kind, friend: Number(a), text: unescapeText(b), line };
  }
  return { kind: "other", line };
}

interface Waiter {
  test: (e: ToxEvent) => boolean;
  resolve: (e: ToxEvent) => void;
  reject: (err: Error) => void;
}

interface Pending {
  command: string;
  resolve: (words: string[]) => void;
  reject: (err: Error) => void;
}

/**
 * Starts a c-toxcore client (LAN discovery and IPv6 off) and resolves once it printed its
 * keys. Compiles the client first if needed.
 *
 * @example
 * ```ts ignore
 * import { startToxClient } from "./toxclient.ts";
 * await using c = await startToxClient({ udp: false });
 * console.log(c.toxId, c.dhtPublicKey);
 * ```
 */
export async function startToxClient(opts: ToxClientOptions = {}): Promise<ToxClient> {
  const path = await toxClientBinary();
  // A free port can be taken between the check and the bind: try a few fresh ones.
  for (let attempt = 1;; attempt++) {
    try {
      return await spawnClient(path, opts);
    } catch (e) {
      if (opts.port !== undefined || opts.udp === false || attempt >= 3) throw e;
    }
  }
}

async function spawnClient(path: string, opts: ToxClientOptions): Promise<ToxClient> {
  const name = opts.name ?? "toxclient";
  const udp = opts.udp ?? true;
  const args = ["--udp", udp ? "on" : "off", "--ipv6", "off", "--local-discovery", "off"];
  if (udp) args.push("--port", String(opts.port ?? freePort()));
  if (opts.verbose) args.push("--verbose");
  const [cmd, ...pre] = [...(opts.prefix ?? []), path];
  const child = new Deno.Command(cmd!, {
    args: [...pre, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const history: ToxEvent[] = [];
  const waiters = new Set<Waiter>();
  const pending: Pending[] = [];
  let errText = "";
  let exited: Error | null = null;

  const fail = (err: Error) => {
    for (const w of waiters) w.reject(err);
    waiters.clear();
    for (const p of pending.splice(0)) p.reject(err);
  };
  const onLine = (line: string) => {
    if (line.startsWith("ok ") || line.startsWith("error ")) {
      const [status, command, ...words] = line.split(" ");
      const p = pending.shift();
      if (!p) return void history.push({ kind: "other", line });
      if (status === "ok" && command === p.command) p.resolve(words);
      else p.reject(new Error(`${name}: ${p.command} failed: ${line}`));
      return;
    }
    const e = parseEvent(line);
    history.push(e);
    for (const w of waiters) if (w.test(e)) w.resolve(e);
  };
  const decoder = new TextDecoder();
  const pumpOut = (async () => {
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  })();
  const errDecoder = new TextDecoder();
  const pumpErr = (async () => {
    for await (const chunk of child.stderr) errText += errDecoder.decode(chunk, { stream: true });
  })();
  const pumps = Promise.all([pumpOut, pumpErr]);
  const status = child.status.then(async (s) => {
    await pumps;
    const tail = errText.split("\n").slice(-20).join("\n");
    exited = new Error(
      `${name} (pid ${child.pid}) exited with code ${s.code}; last events:\n${describe()}\n${tail}`,
    );
    fail(exited);
  });

  const describe = () => history.slice(-10).map((e) => `  ${e.line}`).join("\n") || "  (no events)";

  const waitFor = (match: EventMatch, timeoutMs = DEFAULT_WAIT_MS, o: { since?: number } = {}) => {
    const test = typeof match === "function" ? match : (e: ToxEvent) => match.test(e.line);
    const found = history.slice(o.since ?? 0).find(test);
    if (found) return Promise.resolve(found);
    if (exited) return Promise.reject(exited);
    return new Promise<ToxEvent>((resolve, reject) => {
      const w: Waiter = {
        test,
        resolve: (e) => done(() => resolve(e)),
        reject: (err) => done(() => reject(err)),
      };
      const timer = setTimeout(() => {
        w.reject(
          new Error(
            `${name}: no event matching ${match} within ${timeoutMs} ms; last:\n${describe()}`,
          ),
        );
      }, timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        waiters.delete(w);
        f();
      };
      waiters.add(w);
    });
  };

  const command = (cmd: string, ...words: string[]): Promise<string[]> => {
    if (exited) return Promise.reject(exited);
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = pending.indexOf(p);
        if (i >= 0) pending.splice(i, 1, { command: cmd, resolve: () => {}, reject: () => {} });
        reject(new Error(`${name}: no answer to ${cmd} within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      const p: Pending = {
        command: cmd,
        resolve: (w) => (clearTimeout(timer), resolve(w)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      pending.push(p);
      writer.write(new TextEncoder().encode(`${[cmd, ...words].join(" ")}\n`)).catch((e) => {
        const i = pending.indexOf(p);
        if (i >= 0) pending.splice(i, 1);
        p.reject(new Error(`${name}: cannot send ${cmd}: ${e}`));
      });
    });
  };

  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        Deno.kill(child.pid, "SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          Deno.kill(child.pid, "SIGKILL");
        } catch { /* gone */ }
      }, 2000);
      await status;
      clearTimeout(timer);
      await writer.close().catch(() => {});
    })();

  let ready: ToxEvent;
  try {
    ready = await waitFor((e) => e.kind === "ready", START_TIMEOUT_MS);
  } catch (e) {
    await stop();
    throw e;
  }
  if (ready.kind !== "ready") throw new Error("unreachable");

  const client: ToxClient = {
    name,
    pid: child.pid,
    toxId: ready.toxId,
    publicKey: ready.publicKey,
    dhtPublicKey: ready.dhtPublicKey,
    udpPort: ready.udpPort,
    bootstrap: async (host, port, keyHex) => {
      await command("bootstrap", host, String(port), keyHex);
    },
    addTcpRelay: async (host, port, keyHex) => {
      await command("add_tcp_relay", host, String(port), keyHex);
    },
    useNode: async (node) => {
      const host = node.host ?? "127.0.0.1";
      if (node.udpPort) await client.bootstrap(host, node.udpPort, node.publicKeyHex);
      if (node.tcpPort) await client.addTcpRelay(host, node.tcpPort, node.publicKeyHex);
    },
    addFriendNoRequest: async (pk) => Number((await command("friend_add_norequest", pk))[0]),
    addFriend: async (toxId, text) =>
      Number((await command("friend_add", toxId, escapeText(text)))[0]),
    send: async (friend, text) =>
      Number((await command("send", String(friend), escapeText(text)))[0]),
    fileSend: async (friend, size) =>
      Number((await command("file_send", String(friend), String(size)))[0]),
    status: async () => {
      const [self = "none", , ...pairs] = await command("status");
      const friends = new Map<number, ConnectionKind>();
      for (const p of pairs) {
        const [n, s] = p.split(":");
        friends.set(Number(n), s as ConnectionKind);
      }
      return { self: self as ConnectionKind, friends };
    },
    waitFor,
    waitForOnline: async (timeoutMs) => {
      const e = await waitFor(
        (e) => e.kind === "self_connection" && e.status !== "none",
        timeoutMs,
      );
      return e.kind === "self_connection" ? e.status : "none";
    },
    waitForFriend: async (friend, o = {}) => {
      const e = await waitFor(
        (e) =>
          e.kind === "friend_connection" && e.friend === friend &&
          (o.status ? e.status === o.status : e.status !== "none"),
        o.timeoutMs,
        { since: o.since },
      );
      return e.kind === "friend_connection" ? e.status : "none";
    },
    waitForMessage: async (friend, text, timeoutMs) => {
      await waitFor(
        (e) => e.kind === "message" && e.friend === friend && e.text === text,
        timeoutMs,
      );
    },
    events: () => history.slice(),
    stderr: () => errText,
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return client;
}

/**
 * Makes `a` and `b` friends with `tox_friend_add_norequest` on both sides and waits until
 * both report the friend connected (any state but none, or `status` if given). Resolves to
 * `[b's friend number on a, a's friend number on b]`.
 *
 * @example
 * ```ts ignore
 * import { makeFriends, startToxClient } from "./toxclient.ts";
 * await using a = await startToxClient();
 * await using b = await startToxClient();
 * const [bOnA, aOnB] = await makeFriends(a, b, { timeoutMs: 30_000 });
 * ```
 */
export async function makeFriends(
  a: ToxClient,
  b: ToxClient,
  opts: { timeoutMs?: number; status?: ConnectionKind } = {},
): Promise<[number, number]> {
  const bOnA = await a.addFriendNoRequest(b.publicKey);
  const aOnB = await b.addFriendNoRequest(a.publicKey);
  const o = { timeoutMs: opts.timeoutMs ?? DEFAULT_WAIT_MS, status: opts.status };
  await Promise.all([a.waitForFriend(bOnA, o), b.waitForFriend(aOnB, o)]);
  return [bOnA, aOnB];
}

/**
 * Runs `scenario` once more, with fresh processes, if the first attempt fails: c-toxcore's
 * timing is protocol-bound and a step can miss its budget once on a loaded machine.
 *
 * @example
 * ```ts ignore
 * import { withOneRetry } from "./toxclient.ts";
 * await withOneRetry("tcp-only", async () => {});
 * ```
 */
export async function withOneRetry(name: string, scenario: () => Promise<void>): Promise<void> {
  try {
    await scenario();
  } catch (e) {
    console.error(`${name}: first attempt failed, retrying once: ${e}`);
    await scenario();
  }
}
