/**
 * A STUN responder with an alternate address, for the NAT lab's inet namespace:
 * `deno run -A test/punch/_stun_serve.ts PRIMARY_IP:PORT ALTERNATE_IP:PORT SECONDS`.
 * Prints `ready` once bound; exits after SECONDS (bounded) or on SIGTERM.
 * @module
 */
import { parseAddr } from "../../lib/net/addr.ts";
import { StunResponder } from "../../lib/nat/responder.ts";
import { StunResponderDriver } from "../../lib/nat/responder_driver.ts";

const [p, a, s] = Deno.args;
if (!p || !a) {
  console.error("usage: _stun_serve.ts PRIMARY_IP:PORT ALTERNATE_IP:PORT [SECONDS]");
  Deno.exit(2);
}
const responder = new StunResponder({ primary: parseAddr(p), alternate: parseAddr(a) });
const driver = await StunResponderDriver.bind(responder);
console.log("ready");
const stop = Promise.withResolvers<void>();
Deno.addSignalListener("SIGTERM", () => stop.resolve());
const t = setTimeout(() => stop.resolve(), Number(s ?? "600") * 1000);
await stop.promise;
clearTimeout(t);
await driver[Symbol.asyncDispose]();
Deno.exit(0);
