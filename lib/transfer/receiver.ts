/**
 * The receiving side of one transfer, sans-IO: it takes the sender's messages and `now`,
 * and returns what to send back plus events for its driver, which does the storing.
 *
 * ```
 * sender                         receiver
 *   offer(id, kind, name, size, hash) ─▶  event offer → driver checks name, finds a partial
 *                                  ◀─  accept(offset, sha256 of the held prefix) | refuse
 *   [offer(fresh) if the prefix differs ─▶  event restart  ◀─ accept(0)]
 *   data … data                   ─▶  event data (hashed here, written by the driver)
 *                                  ◀─  progress(bytes held), every 256 KiB
 *   end(size, sha256)             ─▶  checks size and hash: event complete | failed
 *                                  ◀─  result(ok, size, sha256 of what was stored, name)
 * ```
 *
 * @example
 * ```ts
 * import { createReceiverMachine } from "./receiver.ts";
 * import { encodeTransfer } from "./wire.ts";
 * import { createHash } from "node:crypto";
 * const r = createReceiverMachine(0);
 * const id = new Uint8Array(8), hash = new Uint8Array(createHash("sha256").update("hi").digest());
 * const o = r.handle(encodeTransfer({ type: "offer", id, kind: "message", name: "", size: 2, hash }), 0);
 * console.assert(o.events[0]?.type === "offer");
 * console.assert(r.accept(0, createHash("sha256"), 0).send.length === 1);
 * ```
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { equals } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { IDLE_TIMEOUT_MS, PROGRESS_EVERY } from "./constants.ts";
import { decodeTransfer, encodeTransfer, type OfferKind } from "./wire.ts";

/** An offer as the receiver's driver sees it. */
export interface Offer {
  /** Transfer id. */
  id: Uint8Array;
  /** Message, file or stream. */
  kind: OfferKind;
  /** Offered name (unchecked; empty for a message). */
  name: string;
  /** The sender asks to drop any held prefix. */
  fresh: boolean;
  /** Bytes, `null` when unknown. */
  size: number | null;
  /** SHA-256 of the content, `null` for a stream. */
  hash: Uint8Array | null;
}

/** What the receiver's driver must act on. */
export type ReceiverEvent =
  /** Decide: call `accept` or `refuse`. */
  | { type: "offer"; offer: Offer }
  /** The sender did not take our offset (its prefix differs): drop the held bytes. */
  | { type: "restart" }
  /** Content to store, in order. */
  | { type: "data"; bytes: Uint8Array }
  /** Everything arrived and the hash matches: store it, then call `finish`. */
  | { type: "complete"; size: number; hash: Uint8Array }
  /** The transfer is over without content to store; `resumable` when the prefix is good. */
  | { type: "failed"; why: string; resumable: boolean };

/** What one step returns. */
export interface ReceiverOutput {
  /** Messages for the sender, in order. */
  send: Uint8Array[];
  /** Events for the driver, in order. */
  events: ReceiverEvent[];
}

/** The receiver's state. */
export type ReceiverState =
  | "offered-wait"
  | "deciding"
  | "accepted"
  | "receiving"
  | "ending"
  | "done";

/** One transfer's receiving state machine. */
export interface ReceiverMachine {
  /** Where it is. */
  readonly state: ReceiverState;
  /** Bytes received in this run (not counting a resumed prefix). */
  readonly received: number;
  /** Bytes held in all (prefix plus received). */
  readonly total: number;
  /** Takes one message from the sender. */
  handle(msg: Uint8Array, now: number): ReceiverOutput;
  /** Accepts the offer from `offset`, with a hash that has absorbed those bytes. */
  accept(offset: number, prefix: Hash, now: number): ReceiverOutput;
  /** Refuses the offer. */
  refuse(code: number, reason: string): ReceiverOutput;
  /** After `complete`: reports what was stored (`ok`, the final name) or why storing failed. */
  finish(ok: boolean, text: string): ReceiverOutput;
  /** Gives up when the sender has been silent for {@link IDLE_TIMEOUT_MS}. */
  handleTimeout(now: number): ReceiverOutput;
  /** When `handleTimeout` next has something to do, or `null`. */
  nextTimeout(): number | null;
}

const ZERO = new Uint8Array(32);
const EMPTY = new Uint8Array(createHash("sha256").digest());

/**
 * A receiver waiting for an offer, started at `now`.
 *
 * @example
 * ```ts
 * import { createReceiverMachine } from "./receiver.ts";
 * const r = createReceiverMachine(0);
 * console.assert(r.state === "offered-wait" && r.nextTimeout() === 30_000);
 * ```
 */
export function createReceiverMachine(now: number): ReceiverMachine {
  let state: ReceiverState = "offered-wait";
  let offer: Offer | null = null;
  let offset = 0, received = 0, lastHeard = now;
  let hasher: Hash = createHash("sha256");
  let digest = ZERO;
  const out = (send: Uint8Array[] = [], events: ReceiverEvent[] = []) => ({ send, events });
  const fail = (why: string, tell: boolean): ReceiverOutput => {
    const resumable = offer?.kind === "file" && state !== "ending";
    state = "done";
    const send = tell ? [encodeTransfer({ type: "abort", reason: why.slice(0, 200) })] : [];
    return out(send, [{ type: "failed", why, resumable }]);
  };
  const result = (ok: boolean, text: string) =>
    encodeTransfer({
      type: "result",
      id: offer?.id ?? new Uint8Array(8),
      ok,
      size: offset + received,
      hash: digest,
      text: text.slice(0, 200),
    });

  function onMessage(bytes: Uint8Array): ReceiverOutput {
    const m = decodeTransfer(bytes);
    if (m.type === "abort") return fail(`the sender stopped: ${m.reason}`, false);
    if (state === "offered-wait" && m.type === "offer") {
      state = "deciding";
      const fresh = m.fresh === true;
      offer = { id: m.id, kind: m.kind, name: m.name, size: m.size, hash: m.hash, fresh };
      return out([], [{ type: "offer", offer }]);
    }
    if (state === "accepted" && m.type === "offer" && m.fresh && equals(m.id, offer!.id)) {
      // The sender's first bytes differ from what we hold: drop them, start from 0.
      offset = 0;
      hasher = createHash("sha256");
      const accept = encodeTransfer({ type: "accept", id: m.id, offset: 0, prefixHash: EMPTY });
      return out([accept], [{ type: "restart" }]);
    }
    if (state === "accepted" && (m.type === "data" || m.type === "end")) state = "receiving";
    if (state === "receiving" && m.type === "data") {
      const before = offset + received;
      if (offer?.size !== null && before + m.bytes.length > offer!.size) {
        return fail("more data than offered", true);
      }
      received += m.bytes.length;
      hasher.update(m.bytes);
      const send = Math.floor((before + m.bytes.length) / PROGRESS_EVERY) >
          Math.floor(before / PROGRESS_EVERY)
        ? [encodeTransfer({ type: "progress", id: offer!.id, held: before + m.bytes.length })]
        : [];
      return out(send, [{ type: "data", bytes: m.bytes }]);
    }
    if (state === "receiving" && m.type === "end") {
      digest = new Uint8Array(hasher.digest());
      const size = offset + received;
      const why = m.size !== size
        ? `received ${size} bytes, the sender sent ${m.size}`
        : !equals(m.hash, digest) || (offer!.hash !== null && !equals(offer!.hash, digest))
        ? "hash mismatch: what arrived is not what was offered"
        : null;
      if (why !== null) {
        state = "ending";
        const r = fail(why, false);
        return out([result(false, why)], r.events);
      }
      state = "ending";
      return out([], [{ type: "complete", size, hash: digest }]);
    }
    return fail(`unexpected ${m.type} while ${state}`, true);
  }

  return {
    get state() {
      return state;
    },
    get received() {
      return received;
    },
    get total() {
      return offset + received;
    },
    handle(msg, at) {
      if (state === "done") return out();
      lastHeard = at;
      try {
        return onMessage(msg);
      } catch (e) {
        if (e instanceof WireError) return fail(`bad message from the sender: ${e.message}`, true);
        throw e;
      }
    },
    accept(from, prefixHash, at) {
      if (state !== "deciding" || !offer) throw new TypeError(`accept() while ${state}`);
      if (from < 0 || (offer.size !== null && from > offer.size)) throw new RangeError("offset");
      state = "accepted";
      offset = from;
      hasher = prefixHash;
      lastHeard = at;
      const prefixDigest = new Uint8Array(prefixHash.copy().digest());
      return out([
        encodeTransfer({ type: "accept", id: offer.id, offset, prefixHash: prefixDigest }),
      ]);
    },
    refuse(code, reason) {
      if (state !== "deciding" || !offer) throw new TypeError(`refuse() while ${state}`);
      state = "done";
      const send = [
        encodeTransfer({ type: "refuse", id: offer.id, code, reason: reason.slice(0, 200) }),
      ];
      return out(send, [{ type: "failed", why: `refused: ${reason}`, resumable: false }]);
    },
    finish(ok, text) {
      if (state !== "ending") throw new TypeError(`finish() while ${state}`);
      state = "done";
      return out([result(ok, text)]);
    },
    handleTimeout(at) {
      if (state === "done" || state === "deciding" || state === "ending") return out();
      if (at - lastHeard < IDLE_TIMEOUT_MS) return out();
      return fail(`nothing from the sender for ${IDLE_TIMEOUT_MS / 1000} s`, true);
    },
    nextTimeout() {
      return state === "done" || state === "deciding" || state === "ending"
        ? null
        : lastHeard + IDLE_TIMEOUT_MS;
    },
  };
}
