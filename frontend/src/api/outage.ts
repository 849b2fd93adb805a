import type { FetchStatus } from "@tanstack/react-query";
import { ApiError } from "./errors";

/**
 * Answers that say nothing about the request, only that the API could not be reached: no answer at all (status 0,
 * the network or the server is down), or a proxy's 502/504, or a 503 (a deploy, the database briefly away). The
 * same request may well succeed in a few seconds, so these are waited out, never taken as the answer.
 */
const OUTAGE_STATUSES = new Set([0, 502, 503, 504]);

export function isOutage(error: unknown): boolean {
  return error instanceof ApiError && OUTAGE_STATUSES.has(error.status);
}

/**
 * Whether a query asks again after its `failureCount`-th failure (counted from 0): through an outage for as long as
 * it lasts (a query stops on its own once nothing shows it), twice more after another server error, never after a
 * 4xx, which asking again will not change.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (isOutage(error)) return true;
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

const MAX_RETRY_DELAY_MS = 10_000;

/** The wait before the next try: 1 s, 2 s, 4 s, 8 s, then every 10 s, so a long outage costs the API little. */
export function retryDelay(failureCount: number): number {
  return Math.min(1000 * 2 ** Math.max(0, failureCount), MAX_RETRY_DELAY_MS);
}

/** What `isReconnecting` looks at in each query's state. */
export interface FetchState {
  fetchStatus: FetchStatus;
  fetchFailureReason: unknown;
}

/** True while some query is waiting to ask again because the API could not be reached. */
export function isReconnecting(states: Iterable<FetchState>): boolean {
  for (const state of states) {
    if (state.fetchStatus !== "idle" && isOutage(state.fetchFailureReason)) return true;
  }
  return false;
}
