/**
 * net_crypto sizes, packet kinds and timers, as c-toxcore 0.2.18 uses them
 * (net_crypto.h, net_crypto.c, friend_connection.h).
 *
 * @example
 * ```ts
 * import { HANDSHAKE_SIZE, MAX_DATA_PAYLOAD } from "./constants.ts";
 * console.assert(HANDSHAKE_SIZE === 385 && MAX_DATA_PAYLOAD === 1373);
 * ```
 * @module
 */

/** UDP kind of a cookie request. */
export const KIND_COOKIE_REQUEST = 0x18;
/** UDP kind of a cookie response. */
export const KIND_COOKIE_RESPONSE = 0x19;
/** UDP kind of a handshake. */
export const KIND_HANDSHAKE = 0x1a;
/** UDP kind of a data packet. */
export const KIND_DATA = 0x1b;

/** Cookie request length: kind, DHT pk, nonce, 88-byte box. */
export const COOKIE_REQUEST_SIZE = 145;
/** Plaintext of a cookie request: real pk, 32 zero bytes, echo id. */
export const COOKIE_REQUEST_PLAIN_SIZE = 72;
/** A sealed cookie: nonce and a box of time, real pk and DHT pk. */
export const COOKIE_SIZE = 112;
/** Plaintext of a cookie: time (8, private to the minter), real pk, DHT pk. */
export const COOKIE_PLAIN_SIZE = 72;
/** Cookie response length: kind, nonce, box of cookie and echo id. */
export const COOKIE_RESPONSE_SIZE = 161;
/** Handshake length: kind, cookie, nonce, 248-byte box. */
export const HANDSHAKE_SIZE = 385;
/** Plaintext of a handshake: base nonce, session pk, SHA-512 of the cookie, other cookie. */
export const HANDSHAKE_PLAIN_SIZE = 232;
/** Echo id length (opaque 8 bytes). */
export const ECHO_ID_SIZE = 8;

/** Largest data packet on the wire (`MAX_CRYPTO_PACKET_SIZE`). */
export const MAX_DATA_PACKET_SIZE = 1400;
/** Header before the box of a data packet: kind and the two low nonce bytes. */
export const DATA_HEADER_SIZE = 3;
/** Largest payload of one data packet (`MAX_CRYPTO_DATA_SIZE`). */
export const MAX_DATA_PAYLOAD = 1373;
/** Padding is `(MAX_DATA_PAYLOAD - len) % DATA_PADDING_MODULO` zero bytes. */
export const DATA_PADDING_MODULO = 8;
/** Smallest data packet a receiver accepts is one byte more than this. */
export const MIN_DATA_PACKET_EXCLUSIVE = 27;
/** After a nonce difference above twice this, the receive nonce moves on by this much. */
export const DATA_NUM_THRESHOLD = 21845;

/** Payload id: padding (never a payload's first byte). */
export const ID_PADDING = 0;
/** Payload id: packet request. */
export const ID_REQUEST = 1;
/** Payload id: kill. */
export const ID_KILL = 2;
/** First lossless id. */
export const LOSSLESS_FIRST = 16;
/** Last lossless id. */
export const LOSSLESS_LAST = 191;
/** First lossy id. */
export const LOSSY_FIRST = 192;
/** Last lossy id (255 is dropped by 0.2.18). */
export const LOSSY_LAST = 254;

/** Slots in each lossless ring (`CRYPTO_PACKET_BUFFER_SIZE`). */
export const PACKET_BUFFER_SIZE = 32768;
/** Resend interval of the cookie request / handshake, ms. */
export const SEND_PACKET_INTERVAL_MS = 1000;
/** Sends of the cookie request / handshake before giving up. */
export const MAX_SEND_PACKET_TRIES = 8;
/** Cookie lifetime, ms (`COOKIE_TIMEOUT` = 15 s). */
export const COOKIE_TIMEOUT_MS = 15_000;
/** RTT assumed before any measurement, ms (`DEFAULT_PING_CONNECTION`). */
export const DEFAULT_RTT_MS = 1000;
/**
 * Least time before a packet asked for over a TCP relay is resent, ms
 * (`DEFAULT_TCP_PING_CONNECTION`): the relay's queue may still hold it.
 */
export const TCP_RESEND_DELAY_MS = 500;

/** Congestion sampling period, ms (`PACKET_COUNTER_AVERAGE_INTERVAL`). */
export const COUNTER_INTERVAL_MS = 50;
/** Samples per congestion window (`CONGESTION_QUEUE_ARRAY_SIZE`). */
export const CONGESTION_QUEUE_SAMPLES = 12;
/** Samples of send history kept (`CONGESTION_LAST_SENT_ARRAY_SIZE`). */
export const CONGESTION_HISTORY_SAMPLES = 24;
/** Floor of the send rate, packets/s (`CRYPTO_PACKET_MIN_RATE`). */
export const MIN_RATE = 4;
/** Token bucket start and headroom (`CRYPTO_MIN_QUEUE_LENGTH`). */
export const MIN_QUEUE_LENGTH = 64;
/** Send-queue / rate ratio, seconds, above which the rate is cut (`SEND_QUEUE_RATIO`). */
export const SEND_QUEUE_RATIO = 2.0;
/** Quiet time after a congestion event before the rate grows again, ms. */
export const CONGESTION_EVENT_TIMEOUT_MS = 1000;
/** Request interval constant (`REQUEST_PACKETS_COMPARE_CONSTANT`). */
export const REQUEST_COMPARE_CONSTANT = 12.5;

/** A direct UDP path counts as up this long after its last valid packet, ms. */
export const UDP_DIRECT_TIMEOUT_MS = 8000;
/** Small packets are also tried over UDP at most this often while on a relay, ms. */
export const UDP_PROBE_INTERVAL_MS = 4000;
/** Packets shorter than this are also tried over UDP while on a relay. */
export const UDP_PROBE_MAX_SIZE = 96;

/** Friend-connection id: alive. */
export const FRIEND_ALIVE = 16;
/** Friend-connection id: share relays. */
export const FRIEND_SHARE_RELAYS = 17;
/** Friend-connection id: friend requests. */
export const FRIEND_REQUESTS = 18;
/** Alive packet interval, ms (`FRIEND_PING_INTERVAL`). */
export const FRIEND_PING_INTERVAL_MS = 8000;
/** A friend connection with nothing received this long is dead, ms. */
export const FRIEND_CONNECTION_TIMEOUT_MS = 32_000;
/** Share-relays interval, ms. */
export const SHARE_RELAYS_INTERVAL_MS = 120_000;
/** Relays in one share-relays packet. */
export const MAX_SHARED_RELAYS = 3;
