/**
 * The relay's counters in the Prometheus text exposition format.
 *
 * @example
 * ```ts
 * import { formatMetrics } from "./metrics.ts";
 * import { RelayServer } from "./server.ts";
 * import { backend } from "../crypto/mod.ts";
 * const text = formatMetrics(new RelayServer({ keyPair: backend().keyPair() }).stats());
 * console.assert(text.includes("peerkit_relay_clients 0"));
 * ```
 * @module
 */
import type { RelayServerStats } from "./server_options.ts";

/** Extra gauges a composition (e.g. `relay serve`) may add. */
export type ExtraMetrics = Record<
  string,
  { help: string; type: "gauge" | "counter"; value: number }
>;

/**
 * Formats the stats as Prometheus text (version 0.0.4).
 *
 * @example
 * ```ts
 * import { formatMetrics } from "./metrics.ts";
 * import { RelayServer } from "./server.ts";
 * import { backend } from "../crypto/mod.ts";
 * const s = new RelayServer({ keyPair: backend().keyPair() }).stats();
 * console.assert(formatMetrics(s).includes('peerkit_relay_drops_total{reason="queue_full"} 0'));
 * ```
 */
export function formatMetrics(s: RelayServerStats, extra: ExtraMetrics = {}): string {
  const lines: string[] = [];
  const one = (name: string, help: string, type: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  one("peerkit_relay_clients", "Confirmed relay clients.", "gauge", s.clients);
  one("peerkit_relay_pending", "Connections still in their handshake.", "gauge", s.pending);
  one("peerkit_relay_routes", "Routes held by clients (waiting or online).", "gauge", s.routes);
  one("peerkit_relay_online_routes", "Routes whose both ends are online.", "gauge", s.onlineRoutes);
  one(
    "peerkit_relay_relayed_bytes_total",
    "Payload bytes relayed between clients.",
    "counter",
    s.bytesRelayed,
  );
  one(
    "peerkit_relay_relayed_packets_total",
    "Packets relayed between clients.",
    "counter",
    s.packetsRelayed,
  );
  one("peerkit_relay_accepted_total", "TCP connections accepted.", "counter", s.accepted);
  lines.push(
    "# HELP peerkit_relay_drops_total Packets dropped, by reason.",
    "# TYPE peerkit_relay_drops_total counter",
  );
  for (const [k, v] of Object.entries(s.drops)) {
    lines.push(`peerkit_relay_drops_total{reason="${k}"} ${v}`);
  }
  lines.push(
    "# HELP peerkit_relay_closed_total Connections closed, by reason.",
    "# TYPE peerkit_relay_closed_total counter",
  );
  for (const [k, v] of Object.entries(s.kills)) {
    lines.push(`peerkit_relay_closed_total{reason="${k}"} ${v}`);
  }
  for (const [name, m] of Object.entries(extra)) one(name, m.help, m.type, m.value);
  return lines.join("\n") + "\n";
}
