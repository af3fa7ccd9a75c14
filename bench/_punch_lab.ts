/**
 * The NAT-lab part of `bench/punch_matrix.ts`: for one lab condition (one-way WAN delay
 * through the lab's delay hop, loss on the inet bridge), every pair of the four router
 * personalities through `peerkit punch`, the lab's naive prober in the same lab, and, as
 * the anchor, two c-toxcore friends (libtoxcore clients, 5 tox-bootstrapd daemons and a TCP
 * relay in inet) behind the same pair of routers: did c-toxcore's friend connection go
 * over UDP (its own NAT punching) and how fast.
 *
 * @example
 * ```ts ignore
 * import { labCondition } from "./_punch_lab.ts";
 * const rows = await labCondition({ delayMs: 20, lossPct: 5 }, { run: 1, root, toxcore: "all" });
 * ```
 * @module
 */
import { NatLab, PERSONALITIES, type Personality } from "../test/lab/lab.ts";
import { punchPair } from "../test/lab/cases.ts";
import { toxcorePairInLab, type ToxcorePairResult } from "../test/lab/toxcore_lab.ts";
import { keyOf, punchInLab } from "../test/punch/_lab.ts";

/** One lab condition. */
export interface Condition {
  /** One-way delay on each WAN link (the delay hop), ms. */
  delayMs: number;
  /** Loss on the inet bridge, each direction, %. */
  lossPct: number;
}

/** Which pairs get the c-toxcore anchor. */
export type ToxcorePairs = "representative" | "all" | "none";

/** The representative pairs: one cone pair, both birthday kinds, both hard. */
export const REPRESENTATIVE: readonly [Personality, Personality][] = [
  ["port-restricted", "port-restricted"],
  ["full-cone", "symmetric"],
  ["port-restricted", "symmetric"],
  ["symmetric", "symmetric"],
];

/** One pair's outcome on every side measured. */
export interface LabRow {
  run: number;
  cond: Condition;
  a: Personality;
  b: Personality;
  /** peerkit: both sides direct. */
  pk: boolean;
  /** peerkit path of each side. */
  pkPaths: string;
  /** ms from the start of probing to A's first round trip. */
  pkRttMs: number;
  /** ms from the command's start to the meeting (probing starts). */
  pkMeetMs: number;
  /** A's probes. */
  pkProbes: number;
  /** One line on why, when not direct. */
  pkWhy: string;
  naive: boolean;
  naiveMs: number;
  naivePackets: number;
  /** c-toxcore, when measured for this pair. */
  tox?: ToxcorePairResult;
}

const PARALLEL = 4;

function labOptions(a: Personality, b: Personality, c: Condition) {
  return {
    a,
    b,
    ...(c.delayMs > 0 ? { delayMs: c.delayMs } : {}),
    ...(c.lossPct > 0 ? { netem: { lossPct: c.lossPct } } : {}),
  };
}

async function inBatches<T, R>(items: T[], f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PARALLEL) {
    out.push(...await Promise.all(items.slice(i, i + PARALLEL).map((x, j) => f(x, i + j))));
  }
  return out;
}

/**
 * Every pair under `cond`: peerkit then the naive prober in one lab per pair, then the
 * c-toxcore pairs chosen by `toxcore` in fresh labs (4 labs at a time).
 */
export async function labCondition(
  cond: Condition,
  o: { run: number; root: string; toxcore: ToxcorePairs; udpWaitMs: number },
): Promise<LabRow[]> {
  const pairs: [Personality, Personality][] = [];
  for (const a of PERSONALITIES) for (const b of PERSONALITIES) pairs.push([a, b]);
  const tag = `${o.run}-${cond.delayMs}-${cond.lossPct}`;
  const rows = await inBatches(pairs, async ([a, b], k): Promise<LabRow> => {
    const homes = {
      a: `${o.root}/${tag}-${k}a`,
      b: `${o.root}/${tag}-${k}b`,
      relay: `${o.root}/${tag}-${k}r`,
    };
    const keys = { a: await keyOf(homes.a), b: await keyOf(homes.b) };
    await using lab = await NatLab.create(labOptions(a, b, cond));
    const pk = await punchInLab(lab, a, b, homes, keys);
    const nv = await punchPair(lab);
    const [da, db] = pk.docs;
    const num = (x: unknown) => (typeof x === "number" ? x : NaN);
    return {
      run: o.run,
      cond,
      a,
      b,
      pk: da.path === "direct" && db.path === "direct",
      pkPaths: `${da.path}/${db.path}`,
      pkRttMs: num(da.timeToFirstRoundTripMs),
      pkMeetMs: num(da.meetMs),
      pkProbes: (da.attempt as { probes?: number } | null)?.probes ?? 0,
      pkWhy: `A: ${da.why ?? da.error}; B: ${db.why ?? db.error}`,
      naive: nv.direct,
      naiveMs: Math.max(nv.a.firstMs ?? NaN, nv.b.firstMs ?? NaN),
      naivePackets: nv.a.sent + nv.b.sent,
    };
  });
  const toxPairs = o.toxcore === "all"
    ? pairs
    : o.toxcore === "representative"
    ? REPRESENTATIVE.map(([a, b]) => [a, b] as [Personality, Personality])
    : [];
  const tox = await inBatches(toxPairs, async ([a, b]) => {
    await using lab = await NatLab.create(labOptions(a, b, cond));
    return { a, b, r: await toxcorePairInLab(lab, { udpWaitMs: o.udpWaitMs }) };
  });
  for (const t of tox) {
    const row = rows.find((r) => r.a === t.a && r.b === t.b);
    if (row) row.tox = t.r;
  }
  return rows;
}
