/**
 * Test gating for the NAT lab: its tests skip, saying why, when this machine cannot build a
 * lab (not root, no `ip netns`, no `nft`), except under `CI=true`, where they always run and
 * fail if the lab cannot be built.
 *
 * @example
 * ```ts ignore
 * import { labGate } from "./gate.ts";
 * const gate = await labGate();
 * Deno.test({ name: "x", ignore: gate.ignore, fn() {} });
 * ```
 * @module
 */

import { labAvailable } from "./lab.ts";

let cached: Promise<{ ignore: boolean; reason: string }> | null = null;

/**
 * `{ ignore }` for `Deno.test`; the skip reason is printed once per process.
 *
 * @example
 * ```ts ignore
 * import { labGate } from "./gate.ts";
 * const { ignore } = await labGate();
 * ```
 */
export function labGate(): Promise<{ ignore: boolean; reason: string }> {
  return cached ??= (async () => {
    const ci = Deno.env.get("CI") === "true";
    const { ok, reason } = await labAvailable();
    if (ok || ci) return { ignore: false, reason };
    console.error(`skipping NAT lab tests: ${reason} (run as root with iproute2 and nftables)`);
    return { ignore: true, reason };
  })();
}
