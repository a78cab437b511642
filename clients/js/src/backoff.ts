/** Reconnect policy (PROTOCOL.md §15): which closes allow a reconnect, and how long to wait. */

/** Whether a close code allows reconnecting: 4500–4999 do not (fix the credentials first). */
export function shouldReconnect(code: number): boolean {
  return !(code >= 4500 && code <= 4999);
}

/** Delay before attempt `attempt` (0-based): doubling from `minMs` to `maxMs`, jittered to [50%, 100%]. */
export function backoffDelay(attempt: number, minMs = 500, maxMs = 30000, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, minMs * Math.pow(2, Math.min(attempt, 16)));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** The least wait after a close: at least 10 s after `flood` (4002). */
export function minDelayAfter(code: number): number {
  return code === 4002 ? 10000 : 0;
}
