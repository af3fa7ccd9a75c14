/**
 * The sending side of one transfer, sans-IO: it makes the offer, reads the receiver's
 * answers (with `now`), frames the content, and judges the receiver's result. Its driver
 * reads the content and checks a resume prefix.
 *
 * Delivered means: the receiver's result says stored, and its size and SHA-256 of what it
 * stored equal ours.
 *
 * @example
 * ```ts
 * import { createSenderMachine } from "./sender.ts";
 * const s = createSenderMachine({ id: new Uint8Array(8), kind: "message", name: "", size: 2, hash: new Uint8Array(32) });
 * console.assert(s.start(0)[0] === 168 && s.state === "offered");
 * ```
 * @module
 */
import { equals } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { DATA_CHUNK } from "./constants.ts";
import { decodeTransfer, encodeTransfer, type OfferKind } from "./wire.ts";

/** What is being sent. */
export interface SendSpec {
  /** 8 random bytes naming this transfer. */
  id: Uint8Array;
  /** Message, file or stream. */
  kind: OfferKind;
  /** Base name (empty for a message). */
  name: string;
  /** Bytes, `null` for a stream. */
  size: number | null;
  /** SHA-256 of the content, `null` for a stream. */
  hash: Uint8Array | null;
}

/** What the sender's driver must act on. */
export type SenderEvent =
  /** Go ahead: check the receiver's prefix (when `offset` > 0), then `begin` or `restart`. */
  | { type: "accepted"; offset: number; prefixHash: Uint8Array }
  /** The receiver holds this many bytes of the content. */
  | { type: "progress"; held: number }
  /** The receiver refused. */
  | { type: "refused"; code: number; reason: string }
  /** The receiver's verdict; `delivered` when its hash and size equal ours. */
  | {
    type: "result";
    delivered: boolean;
    ok: boolean;
    size: number;
    hash: Uint8Array;
    text: string;
  }
  /** The transfer broke off. */
  | { type: "failed"; why: string };

/** The sender's state. */
export type SenderState = "new" | "offered" | "deciding" | "sending" | "ended" | "done";

/** One transfer's sending state machine. */
export interface SenderMachine {
  /** Where it is. */
  readonly state: SenderState;
  /** Content bytes framed in this run. */
  readonly sent: number;
  /** The offset the content started at. */
  readonly startedAt: number;
  /** The offer to send first. */
  start(now: number): Uint8Array;
  /** Takes one message from the receiver. */
  handle(msg: Uint8Array, now: number): SenderEvent[];
  /** After `accepted` with a prefix that matches (or none): data may follow from `offset`. */
  begin(offset: number): void;
  /** After `accepted` with a prefix that differs: the fresh offer (the answer must be 0). */
  restart(now: number): Uint8Array;
  /** Frames up to {@link DATA_CHUNK} bytes of content. */
  data(bytes: Uint8Array): Uint8Array;
  /** The end message: the whole content's size and SHA-256. */
  end(size: number, hash: Uint8Array, now: number): Uint8Array;
  /** Fails when the receiver has been silent past `timeoutMs` while we wait on it. */
  handleTimeout(now: number): SenderEvent[];
  /** When `handleTimeout` next matters, or `null`. */
  nextTimeout(): number | null;
}

/**
 * A sender for `spec`; `timeoutMs` bounds each wait on the receiver (its answer to the
 * offer, its result after the end).
 *
 * @example
 * ```ts
 * import { createSenderMachine } from "./sender.ts";
 * const s = createSenderMachine({ id: new Uint8Array(8), kind: "stream", name: "s", size: null, hash: null }, 1000);
 * s.start(0);
 * console.assert(s.handleTimeout(1000)[0]?.type === "failed");
 * ```
 */
export function createSenderMachine(spec: SendSpec, timeoutMs = 30_000): SenderMachine {
  let state: SenderState = "new";
  let sent = 0, startedAt = 0, waitSince = 0, endSize = 0, fresh = false;
  let endHash: Uint8Array = new Uint8Array(32);
  const fail = (why: string): SenderEvent[] => {
    state = "done";
    return [{ type: "failed", why }];
  };
  function onMessage(bytes: Uint8Array): SenderEvent[] {
    const m = decodeTransfer(bytes);
    if (m.type === "abort") return fail(`the receiver stopped: ${m.reason}`);
    if ("id" in m && !equals(m.id, spec.id)) return fail(`a ${m.type} for another transfer`);
    if (state === "offered" && m.type === "accept") {
      if (spec.size !== null && m.offset > spec.size) {
        return fail(`the receiver holds ${m.offset} bytes of ${spec.size}`);
      }
      if (fresh && m.offset !== 0) return fail(`a fresh offer accepted at ${m.offset}`);
      state = "deciding";
      return [{ type: "accepted", offset: m.offset, prefixHash: m.prefixHash }];
    }
    if (state === "offered" && m.type === "refuse") {
      state = "done";
      return [{ type: "refused", code: m.code, reason: m.reason }];
    }
    if ((state === "ended" || state === "sending") && m.type === "progress") {
      return [{ type: "progress", held: m.held }];
    }
    if ((state === "ended" || state === "sending") && m.type === "result") {
      state = "done";
      const delivered = m.ok && m.size === endSize && equals(m.hash, endHash) &&
        (spec.hash === null || equals(spec.hash, endHash));
      return [{ type: "result", delivered, ok: m.ok, size: m.size, hash: m.hash, text: m.text }];
    }
    return fail(`unexpected ${m.type} while ${state}`);
  }
  return {
    get state() {
      return state;
    },
    get sent() {
      return sent;
    },
    get startedAt() {
      return startedAt;
    },
    start(now) {
      if (state !== "new") throw new TypeError(`start() while ${state}`);
      state = "offered";
      waitSince = now;
      return encodeTransfer({ type: "offer", ...spec });
    },
    handle(msg, _now) {
      if (state === "done") return [];
      try {
        return onMessage(msg);
      } catch (e) {
        if (e instanceof WireError) return fail(`bad message from the receiver: ${e.message}`);
        throw e;
      }
    },
    begin(offset) {
      if (state !== "deciding") throw new TypeError(`begin() while ${state}`);
      state = "sending";
      startedAt = offset;
    },
    restart(now) {
      if (state !== "deciding" || fresh) throw new TypeError(`restart() while ${state}`);
      state = "offered";
      fresh = true;
      waitSince = now;
      return encodeTransfer({ type: "offer", ...spec, fresh: true });
    },
    data(bytes) {
      if (state !== "sending") throw new TypeError(`data() while ${state}`);
      if (bytes.length === 0 || bytes.length > DATA_CHUNK) throw new RangeError("chunk size");
      sent += bytes.length;
      const out = new Uint8Array(bytes.length + 1);
      out[0] = 171;
      out.set(bytes, 1);
      return out;
    },
    end(size, hash, now) {
      if (state !== "sending") throw new TypeError(`end() while ${state}`);
      state = "ended";
      waitSince = now;
      endSize = size;
      endHash = hash;
      return encodeTransfer({ type: "end", size, hash });
    },
    handleTimeout(now) {
      const waiting = state === "offered" || state === "ended";
      if (!waiting || now - waitSince < timeoutMs) return [];
      return fail(
        state === "offered"
          ? `no answer to the offer in ${timeoutMs / 1000} s`
          : `no result in ${timeoutMs / 1000} s after the end`,
      );
    },
    nextTimeout() {
      return state === "offered" || state === "ended" ? waitSince + timeoutMs : null;
    },
  };
}
