/** Fetches the runtime's stats JSON from the extension host (the webview makes no network calls). */
import { parseRuntimeStats, type RuntimeFamilyStats } from './cacheMapModel';

/** Loopback answers in milliseconds; a stats view that takes longer than this is treated as unreachable. */
const STATS_TIMEOUT_MS = 3000;

/** Why the stats could not be read, worded for the one-line note above the map. */
export class StatsUnavailable extends Error {}

export async function fetchRuntimeStats(
  url: string,
  token: string | undefined,
  timeoutMs = STATS_TIMEOUT_MS,
): Promise<RuntimeFamilyStats[]> {
  let response: Response;
  try {
    // The runtime's view accepts `Authorization: Bearer <STATS_TOKEN>` (runtime/djcache/views.py).
    response = await fetch(url, {
      headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new StatsUnavailable(`could not reach ${url}: ${networkReason(error, timeoutMs)}`);
  }
  if (!response.ok) {
    const hint =
      response.status === 403
        ? ' (the view answers staff sessions or the DJCACHE["STATS_TOKEN"]; set it with "djcache: Set Stats Token")'
        : '';
    throw new StatsUnavailable(`${url} answered HTTP ${response.status}${hint}`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new StatsUnavailable(`${url} did not answer JSON`);
  }
  try {
    return parseRuntimeStats(json);
  } catch (error) {
    throw new StatsUnavailable(`${url}: ${(error as Error).message}`);
  }
}

/** Node's fetch wraps the socket error: `TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })`. */
function networkReason(error: unknown, timeoutMs: number): string {
  const { name, message, cause } = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (cause?.code) return cause.code;
  return cause?.message ?? message ?? String(error);
}
