import { denoNetwork, MemoryNetwork, Nat } from "../../lib/net/mod.ts";
import { transportConformance } from "./conformance.ts";

transportConformance("deno sockets", () => denoNetwork);
transportConformance("memory network", () => new MemoryNetwork());
transportConformance("memory network with 2 ms latency", () => new MemoryNetwork({ latencyMs: 2 }));
transportConformance(
  "memory network, sockets on a NAT's private side",
  () => new Nat(new MemoryNetwork({ latencyMs: 1 }), { publicIp: "203.0.113.1", lanLatencyMs: 1 }),
);
