import { denoNetwork, MemoryNetwork } from "../../lib/net/mod.ts";
import { transportConformance } from "./conformance.ts";

transportConformance("deno sockets", () => denoNetwork);
transportConformance("memory network", () => new MemoryNetwork());
transportConformance("memory network with 2 ms latency", () => new MemoryNetwork({ latencyMs: 2 }));
