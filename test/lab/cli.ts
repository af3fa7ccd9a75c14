/**
 * The NAT lab from the command line (normally through `test/lab/run.sh`, which also removes
 * every namespace of the run when this process fails or is killed):
 *
 * ```
 * deno run -A test/lab/cli.ts CASE [--a P] [--b P] [--hairpin] [--delay MS] [--hop-delay MS]
 *   [--loss PCT]   (--delay: tc netem; --hop-delay: the user-space delay hop)
 *   behave    mapping and filtering of --a's router, in RFC 4787 terms
 *   hairpin   host-a sends to its own public address (set --hairpin to see it loop back)
 *   ping      round trips host-a to the inet server (shows --delay and --loss)
 *   punch     naive simultaneous punching between --a and --b
 *   matrix    punch for all 16 personality pairs, against the reference 13 of 16
 *   birthday  256 sockets behind --a (default symmetric) vs random probes from --b
 *             (default port-restricted)
 *   up        build the lab, print its namespace names, hold it until Ctrl-C (--hold S)
 *   sweep     delete namespaces left by killed runs (dead PID in the name)
 * personalities: full-cone address-restricted port-restricted symmetric
 * ```
 *
 * Each case prints one JSON line per result and a summary line, and exits 1 when a result
 * is not what the personality should give, 2 on a usage error.
 *
 * @example
 * ```ts ignore
 * // sudo test/lab/run.sh behave --a symmetric
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { type LabOptions, NatLab, PERSONALITIES, type Personality, sweepStale } from "./lab.ts";
import {
  behaviour,
  birthday,
  classify,
  EXPECTED,
  hairpin,
  naiveDirect,
  ping,
  punchPair,
} from "./cases.ts";

/** Parsed command line. */
export interface LabCommand {
  /** The case to run. */
  case: string;
  /** Lab options. */
  lab: LabOptions;
  /** Seconds `up` holds the lab. */
  holdS: number;
  /** How many times `birthday` and `matrix` repeat (each run listed, then a summary). */
  runs: number;
}

const CASES = ["behave", "hairpin", "ping", "punch", "matrix", "birthday", "up", "sweep"];

/**
 * Parses `args`; throws `TypeError` with a one-line message on a usage error.
 *
 * @example
 * ```ts
 * import { parseLabArgs } from "./cli.ts";
 * const c = parseLabArgs(["punch", "--a", "symmetric", "--b", "full-cone"]);
 * console.assert(c.lab.a === "symmetric" && c.lab.b === "full-cone");
 * ```
 */
export function parseLabArgs(args: string[]): LabCommand {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      a: { type: "string" },
      b: { type: "string" },
      hairpin: { type: "boolean", default: false },
      delay: { type: "string", default: "0" },
      "hop-delay": { type: "string", default: "0" },
      loss: { type: "string", default: "0" },
      hold: { type: "string", default: "3600" },
      runs: { type: "string", default: "1" },
    },
  });
  const c = positionals[0] ?? "";
  if (!CASES.includes(c) || positionals.length > 1) {
    throw new TypeError(`expected one case of: ${CASES.join(" ")}`);
  }
  const pers = (v: string | undefined, dflt: Personality): Personality => {
    if (v === undefined) return dflt;
    if (!PERSONALITIES.includes(v as Personality)) {
      throw new TypeError(`unknown personality "${v}" (${PERSONALITIES.join(", ")})`);
    }
    return v as Personality;
  };
  const n = (v: string, name: string, max: number) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0 || x > max) throw new TypeError(`--${name} must be 0-${max}`);
    return x;
  };
  const birthdayCase = c === "birthday";
  return {
    case: c,
    lab: {
      a: pers(values.a, birthdayCase ? "symmetric" : "port-restricted"),
      b: pers(values.b, birthdayCase ? "port-restricted" : "full-cone"),
      hairpin: values.hairpin,
      netem: { delayMs: n(values.delay, "delay", 5000), lossPct: n(values.loss, "loss", 100) },
      delayMs: Math.round(n(values["hop-delay"], "hop-delay", 5000)),
    },
    holdS: n(values.hold, "hold", 86_400),
    runs: Math.max(1, Math.floor(n(values.runs, "runs", 50))),
  };
}

let current = null as NatLab | null;

async function withLab<T>(opts: LabOptions, f: (lab: NatLab) => Promise<T>): Promise<T> {
  const lab = await NatLab.create(opts);
  current = lab;
  try {
    return await f(lab);
  } finally {
    current = null;
    await lab.close();
  }
}

/**
 * Runs one parsed command; resolves with the exit code.
 *
 * @example
 * ```ts ignore
 * import { parseLabArgs, runLab } from "./cli.ts";
 * const code = await runLab(parseLabArgs(["behave", "--a", "symmetric"]));
 * ```
 */
export async function runLab(cmd: LabCommand): Promise<number> {
  const out = (v: unknown) => console.log(JSON.stringify(v));
  const { lab: o } = cmd;
  switch (cmd.case) {
    case "sweep": {
      const gone = await sweepStale();
      out({ removed: gone });
      return 0;
    }
    case "behave": {
      const b = await withLab(o, (lab) => behaviour(lab, "host-a"));
      const got = classify(b);
      out({ personality: o.a, ...b, rfc4787: got, expected: EXPECTED[o.a] });
      const ok = JSON.stringify(got) === JSON.stringify(EXPECTED[o.a]);
      console.log(
        `${o.a}: ${got ? `${got.mapping}/${got.filtering}` : "unclassified"} ` +
          `(expected ${EXPECTED[o.a].mapping}/${EXPECTED[o.a].filtering}) ${
            ok ? "OK" : "MISMATCH"
          }`,
      );
      return ok ? 0 : 1;
    }
    case "hairpin": {
      const h = await withLab(o, (lab) => hairpin(lab, "host-a"));
      out({ personality: o.a, hairpinOption: o.hairpin, ...h });
      const ok = h.received === o.hairpin;
      console.log(
        `hairpin ${o.hairpin ? "on" : "off"}: ${h.received ? "looped back" : "not"} ` +
          `${ok ? "OK" : "MISMATCH"}`,
      );
      return ok ? 0 : 1;
    }
    case "ping": {
      const p = await withLab(o, (lab) => ping(lab, "host-a", 50, 20));
      out({ ...o.netem, hopDelayMs: o.delayMs, ...p });
      console.log(`ping: ${p.received}/${p.sent} replies, median ${p.medianRttMs?.toFixed(2)} ms`);
      return 0;
    }
    case "punch":
    case "matrix": {
      const pairs = cmd.case === "punch"
        ? [[o.a, o.b] as const]
        : PERSONALITIES.flatMap((a) => PERSONALITIES.map((b) => [a, b] as const));
      let allAgree = true;
      for (let run = 1; run <= cmd.runs; run++) {
        let direct = 0, agree = 0;
        for (const [a, b] of pairs) {
          const r = await withLab({ ...o, a, b }, (lab) => punchPair(lab));
          const expected = naiveDirect(a, b);
          out({ run, a, b, direct: r.direct, sideA: r.a, sideB: r.b, expected });
          if (r.direct) direct++;
          if (r.direct === expected) agree++;
        }
        console.log(
          `run ${run}: ${direct} of ${pairs.length} pairs direct; ${agree} as the reference expects`,
        );
        allAgree &&= agree === pairs.length;
      }
      return allAgree ? 0 : 1;
    }
    case "birthday": {
      const done: Array<{ probes: number; ms: number }> = [];
      for (let run = 1; run <= cmd.runs; run++) {
        const r = await withLab(o, (lab) => birthday(lab));
        out({ run, a: o.a, b: o.b, ...r });
        console.log(
          `run ${run}: ${r.direct ? "direct" : "fail"} after ${r.easy.probes} probes, ` +
            `${r.easy.ms} ms`,
        );
        if (r.direct) done.push({ probes: r.easy.probes, ms: r.easy.ms });
      }
      const med = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
      console.log(
        `birthday ${o.a} vs ${o.b}: ${done.length} of ${cmd.runs} direct; median ` +
          `${med(done.map((d) => d.probes)) ?? "-"} probes, ${
            med(done.map((d) => d.ms)) ?? "-"
          } ms, ` +
          `worst ${Math.max(...done.map((d) => d.ms), 0)} ms`,
      );
      return done.length === cmd.runs ? 0 : 1;
    }
    case "up": {
      const lab = await NatLab.create(o);
      current = lab;
      out({ namespaces: lab.names, options: o });
      console.log(`lab up; try: ip netns exec ${lab.names["host-a"]} ip -br addr; Ctrl-C ends`);
      await new Promise((res) => setTimeout(res, cmd.holdS * 1000));
      current = null;
      await lab.close();
      return 0;
    }
  }
  return 2;
}

if (import.meta.main) {
  const stop = (code: number) => async () => {
    await current?.close();
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", stop(130));
  Deno.addSignalListener("SIGTERM", stop(143));
  let cmd: LabCommand;
  try {
    cmd = parseLabArgs(Deno.args);
  } catch (e) {
    console.error(`lab: ${(e as Error).message}`);
    Deno.exit(2);
  }
  try {
    Deno.exit(await runLab(cmd));
  } catch (e) {
    console.error(`lab: ${(e as Error).message}`);
    await current?.close();
    Deno.exit(1);
  }
}
