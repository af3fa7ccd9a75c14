/**
 * The progress bar `send` draws on a terminal: a pure renderer of one line, and a painter
 * that redraws it at most every {@link REDRAW_MS} and clears it at the end. The painter
 * takes its writer and clock from its caller.
 *
 * ```
 * [##########··········]  50%  32.0 MiB / 64.0 MiB  85.3 MiB/s  0:01 left
 * ```
 *
 * @example
 * ```ts
 * import { renderProgress } from "./progress.ts";
 * const line = renderProgress({ bytes: 512, total: 1024, elapsedMs: 1000, width: 80 });
 * console.assert(line.includes(" 50%") && line.includes("512 B/s"));
 * ```
 * @module
 */

/** Shortest interval between two redraws, ms. */
export const REDRAW_MS = 100;

/** What one frame shows. */
export interface ProgressFrame {
  /** Bytes done (the resumed prefix included). */
  bytes: number;
  /** Bytes in all, `null` when unknown. */
  total: number | null;
  /** Ms since this run started. */
  elapsedMs: number;
  /** Bytes this run had to send (for the rate; defaults to `bytes`). */
  sentThisRun?: number;
  /** Terminal columns. */
  width: number;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * `n` bytes in binary units, one decimal from KiB on.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./progress.ts";
 * console.assert(formatBytes(1536) === "1.5 KiB" && formatBytes(12) === "12 B");
 * ```
 */
export function formatBytes(n: number): string {
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${UNITS[u]}`;
}

/**
 * Seconds as `m:ss` (or `h:mm:ss`).
 *
 * @example
 * ```ts
 * import { formatEta } from "./progress.ts";
 * console.assert(formatEta(75) === "1:15" && formatEta(3661) === "1:01:01");
 * ```
 */
export function formatEta(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * One line: bar, percent, bytes, rate, time left (bar, percent and time left only when the
 * total is known). Never longer than `width - 1` columns.
 *
 * @example
 * ```ts
 * import { renderProgress } from "./progress.ts";
 * const l = renderProgress({ bytes: 1024, total: null, elapsedMs: 500, width: 80 });
 * console.assert(l === "1.0 KiB  2.0 KiB/s");
 * ```
 */
export function renderProgress(f: ProgressFrame): string {
  const sent = f.sentThisRun ?? f.bytes;
  const rate = f.elapsedMs > 0 ? sent / (f.elapsedMs / 1000) : 0;
  const rateText = `${formatBytes(rate)}/s`;
  if (f.total === null) return `${formatBytes(f.bytes)}  ${rateText}`.slice(0, f.width - 1);
  const frac = f.total === 0 ? 1 : Math.min(1, f.bytes / f.total);
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  const left = rate > 0 ? `${formatEta((f.total - f.bytes) / rate)} left` : "--:-- left";
  const tail = `${pct}  ${formatBytes(f.bytes)} / ${formatBytes(f.total)}  ${rateText}  ${left}`;
  const barWidth = Math.min(30, f.width - 1 - tail.length - 3);
  if (barWidth < 5) return tail.trimStart().slice(0, f.width - 1);
  const full = Math.round(frac * barWidth);
  return `[${"#".repeat(full)}${"·".repeat(barWidth - full)}] ${tail}`;
}

/** Redraws a progress line in place. */
export interface ProgressPainter {
  /** Draws the frame if {@link REDRAW_MS} have passed since the last draw (or `force`). */
  update(bytes: number, sentThisRun: number, force?: boolean): void;
  /** Erases the line. */
  clear(): void;
}

/**
 * A painter writing through `write` (a terminal), timed by `now`.
 *
 * @example
 * ```ts
 * import { progressPainter } from "./progress.ts";
 * let out = "", t = 0;
 * const p = progressPainter({ write: (s) => void (out += s), now: () => t, total: 100, width: 80 });
 * p.update(10, 10); t = 50; p.update(20, 20); t = 100; p.update(30, 30); p.clear();
 * console.assert(out.split("\r").filter((s) => s.includes("%")).length === 2);
 * ```
 */
export function progressPainter(o: {
  write: (s: string) => void;
  now: () => number;
  total: number | null;
  width: number;
}): ProgressPainter {
  const t0 = o.now();
  let last = -Infinity, drawn = false;
  return {
    update(bytes, sentThisRun, force = false) {
      const t = o.now();
      if (!force && t - last < REDRAW_MS) return;
      last = t;
      drawn = true;
      const line = renderProgress({
        bytes,
        total: o.total,
        elapsedMs: t - t0,
        sentThisRun,
        width: o.width,
      });
      o.write(`\r${line}\x1b[K`);
    },
    clear() {
      if (drawn) o.write("\r\x1b[K");
      drawn = false;
    },
  };
}
