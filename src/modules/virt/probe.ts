/**
 * The reachability probe run during a migration (pure parts): `ping -D -n -i INTERVAL ADDR`
 * in the background on the source host, its output file parsed afterwards into the longest
 * gap between two answers inside the migration window, and the number of lost probes.
 */
import { q } from '../../util/quote.js';

export interface ProbeReport {
  address: string;
  interval_s: number;
  sent: number;
  received: number;
  lost: number;
  /** longest time between two consecutive answers, seconds (the guest's visible outage) */
  max_gap_s: number | null;
  /** when the longest gap started (unix seconds) */
  gap_at?: number;
  /** the guest answered before the migration started */
  answered_before: boolean;
}

/** Background ping writing to FILE; prints its PID. */
export function probeStartCmd(address: string, interval: number, file: string): string {
  return `ping -D -n -i ${q(interval)} -W 1 ${q(address)} > ${q(file)} 2>&1 < /dev/null &\necho $!`;
}

/** Wait on the host until FILE holds `answers` ping replies, at most `maxS` seconds (20 looks at it per second). */
export function probeWarmCmd(file: string, answers: number, maxS: number): string {
  return `i=0; while [ $i -lt ${Math.max(1, Math.round(maxS * 20))} ]; do [ "$(grep -c 'bytes from' ${q(file)} 2>/dev/null)" -ge ${answers} ] && break; sleep 0.05; i=$((i+1)); done; exit 0`;
}

/** Reply timestamps and sequence numbers from `ping -D` output. */
export function parsePing(text: string): { replies: { t: number; seq: number }[]; maxSeq: number } {
  const replies: { t: number; seq: number }[] = [];
  let maxSeq = 0;
  for (const line of text.split('\n')) {
    const m = /^\[(\d+(?:\.\d+)?)\]\s.*icmp_seq=(\d+)/.exec(line);
    if (!m) continue;
    const seq = Number(m[2]);
    if (/bytes from/.test(line)) replies.push({ t: Number(m[1]), seq });
    maxSeq = Math.max(maxSeq, seq);
  }
  return { replies, maxSeq };
}

/**
 * The probe report. `window` (unix seconds) bounds the migration: the gap is measured between
 * the last answer before/at its start and the first answer after the guest came back.
 */
export function probeReport(address: string, interval: number, text: string, window?: { start: number; end: number }): ProbeReport {
  const { replies, maxSeq } = parsePing(text);
  const answeredBefore = window ? replies.some((r) => r.t <= window.start) : replies.length > 0;
  let maxGap: number | null = null;
  let gapAt: number | undefined;
  for (let i = 1; i < replies.length; i++) {
    const a = replies[i - 1];
    const b = replies[i];
    if (window && (b.t < window.start || a.t > window.end)) continue;
    const gap = b.t - a.t;
    if (maxGap === null || gap > maxGap) {
      maxGap = gap;
      gapAt = a.t;
    }
  }
  const seqs = new Set(replies.map((r) => r.seq));
  const sent = maxSeq;
  // a probe sent in the last second may still be in flight: do not count it as lost
  const lost = Math.max(0, sent - seqs.size - (seqs.has(maxSeq) ? 0 : 1));
  return {
    address,
    interval_s: interval,
    sent,
    received: seqs.size,
    lost,
    max_gap_s: maxGap === null ? null : Math.round(maxGap * 1000) / 1000,
    ...(gapAt !== undefined ? { gap_at: gapAt } : {}),
    answered_before: answeredBefore,
  };
}

/** One line for the reason text. */
export function probeText(p: ProbeReport): string {
  if (!p.received) return `probe: ${p.address} never answered (no gap measured)`;
  if (!p.answered_before) return `probe: ${p.address} did not answer before the migration (gap not meaningful)`;
  return `probe: longest gap ${p.max_gap_s?.toFixed(2)} s, ${p.lost} of ${p.sent} pings lost (every ${p.interval_s} s)`;
}
