/**
 * The result of NAT behaviour discovery, in RFC 4787 words, and the pure rules that turn
 * test observations (RFC 5780 §4) into it.
 *
 * @example
 * ```ts
 * import { classifyMapping } from "./report.ts";
 * const m = { hostname: "192.0.2.1", port: 4000 };
 * console.assert(classifyMapping(m, m, null) === "endpoint-independent");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { sameEndpoint } from "./endpoint.ts";

/** RFC 4787 mapping or filtering behaviour, or `unknown` when the tests could not tell. */
export type NatBehaviour =
  | "endpoint-independent"
  | "address-dependent"
  | "address-and-port-dependent"
  | "unknown";

/** Yes, no, or could not tell. */
export type Tristate = "yes" | "no" | "unknown";

/** What one server told us in mapping test I. */
export interface ServerReport {
  /** The server asked. */
  server: Addr;
  /** ms from the first request to the answer, or `null` when it never answered. */
  rttMs: number | null;
  /** Our address as the server saw it. */
  mapped: Addr | null;
  /** The server's OTHER-ADDRESS, when it offered one. */
  other: Addr | null;
  /** The server's SOFTWARE text, when given. */
  software: string | null;
  /** An error response's code and reason, when it answered with one. */
  error: string | null;
}

/** Everything NAT behaviour discovery found out. */
export interface NatReport {
  /** Our local address, as given to the discovery. */
  local: Addr | null;
  /** Our public endpoint (mapping test I against the primary server), or `null`. */
  mapped: Addr | null;
  /** The server the behaviour tests ran against. */
  primary: Addr | null;
  /** True when at least one server answered. */
  udp: boolean;
  /** RFC 4787 mapping behaviour. */
  mapping: NatBehaviour;
  /** RFC 4787 filtering behaviour. */
  filtering: NatBehaviour;
  /** Whether a packet to our own public endpoint came back to us. */
  hairpinning: Tristate;
  /** Whether the public port equals the local port. */
  preservesPort: Tristate;
  /**
   * Whether servers at different addresses saw different public endpoints (needs two that
   * answered); a hint at the mapping when no server offers OTHER-ADDRESS.
   */
  mappingVaries: Tristate;
  /** Per server, in the order given. */
  servers: ServerReport[];
}

/**
 * RFC 5780 §4.3: the mapped addresses of test I, II (other IP, primary port) and III (other
 * IP and port) give the mapping behaviour. `null` where a test got no answer.
 *
 * @example
 * ```ts
 * import { classifyMapping } from "./report.ts";
 * const a = { hostname: "192.0.2.1", port: 1 }, b = { hostname: "192.0.2.1", port: 2 };
 * console.assert(classifyMapping(a, b, b) === "address-dependent");
 * console.assert(classifyMapping(a, b, { hostname: "192.0.2.1", port: 3 }) === "address-and-port-dependent");
 * ```
 */
export function classifyMapping(
  test1: Addr | null,
  test2: Addr | null,
  test3: Addr | null,
): NatBehaviour {
  if (!test1 || !test2) return "unknown";
  if (sameEndpoint(test1, test2)) return "endpoint-independent";
  if (!test3) return "unknown";
  return sameEndpoint(test2, test3) ? "address-dependent" : "address-and-port-dependent";
}

/**
 * RFC 5780 §4.4: test II (answer from the other IP and port) and test III (answer from the
 * other port only) give the filtering behaviour; `undefined` for a test that could not run.
 *
 * @example
 * ```ts
 * import { classifyFiltering } from "./report.ts";
 * console.assert(classifyFiltering(false, true) === "address-dependent");
 * console.assert(classifyFiltering(false, false) === "address-and-port-dependent");
 * ```
 */
export function classifyFiltering(
  test2Answered: boolean | undefined,
  test3Answered: boolean | undefined,
): NatBehaviour {
  if (test2Answered === true) return "endpoint-independent";
  if (test2Answered === undefined || test3Answered === undefined) return "unknown";
  return test3Answered ? "address-dependent" : "address-and-port-dependent";
}

/**
 * Whether the servers that answered saw different public endpoints: `unknown` with fewer
 * than two answers.
 *
 * @example
 * ```ts
 * import { mappingVaries } from "./report.ts";
 * const a = { hostname: "203.0.113.1", port: 1 }, b = { hostname: "203.0.113.1", port: 2 };
 * console.assert(mappingVaries([a, b]) === "yes" && mappingVaries([a, a]) === "no" && mappingVaries([a]) === "unknown");
 * ```
 */
export function mappingVaries(mapped: readonly Addr[]): Tristate {
  if (mapped.length < 2) return "unknown";
  return mapped.every((m) => sameEndpoint(m, mapped[0]!)) ? "no" : "yes";
}

/** A verdict a user can act on. */
export interface NatVerdict {
  /**
   * `open`: no NAT seen and nothing filtered; `easy`: endpoint-independent mapping, direct
   * paths to most peers; `hard`: the mapping changes per destination; `blocked`: no server
   * answered over UDP; `unknown`: the servers could not tell.
   */
  level: "open" | "easy" | "hard" | "blocked" | "unknown";
  /** One line for a person. */
  summary: string;
}

/**
 * Turns a report into a verdict.
 *
 * @example
 * ```ts
 * import { natVerdict, type NatReport } from "./report.ts";
 * const r = { udp: false } as NatReport;
 * console.assert(natVerdict(r).level === "blocked");
 * ```
 */
export function natVerdict(r: NatReport): NatVerdict {
  if (!r.udp) return { level: "blocked", summary: "UDP blocked: relay only" };
  const hard = r.mapping === "address-dependent" || r.mapping === "address-and-port-dependent" ||
    (r.mapping === "unknown" && r.mappingVaries === "yes");
  if (hard) {
    return {
      level: "hard",
      summary:
        "hard: symmetric NAT, direct only to easy peers (with the birthday method), relay otherwise",
    };
  }
  if (r.mapping === "endpoint-independent") {
    const noNat = r.mapped !== null && r.local !== null && sameEndpoint(r.mapped, r.local);
    if (noNat && r.filtering === "endpoint-independent") {
      return { level: "open", summary: "open: no NAT seen, peers can reach us directly" };
    }
    return { level: "easy", summary: "easy: direct paths to most peers" };
  }
  return {
    level: "unknown",
    summary: "unknown: UDP works, but no server offered OTHER-ADDRESS to test the NAT",
  };
}
