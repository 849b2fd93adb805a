import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { fetchLedger, invalidateAfterPurchase, billingKeys } from "../../api/billing";
import { api, unwrap } from "../../api/client";
import type { LedgerEntry } from "../../api/types";

/**
 * Buying leaves the app for the payment page and comes back to /account/billing?checkout=success. With the
 * offline checkout the credits have landed before the page loads; with Polar they follow a moment later, through
 * the webhook. So the app notes where the credit history stood when the purchase started (in this tab's session
 * storage, which survives the trip), and on return counts the purchases made since.
 */
const STORAGE_KEY = "aivenger.checkout";
/** How far apart the browser's and the API's clocks may be, when a purchase is placed by time alone. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Without a note of the purchase's start (another tab, storage cleared), purchases this recent count. */
const RECENT_MS = 15 * 60_000;
export const CONFIRM_POLL_MS = 2_000;
export const SLOW_AFTER_MS = 20_000;
const SLOW_POLL_MS = 5_000;
const GIVE_UP_AFTER_MS = 10 * 60_000;

interface CheckoutNote {
  plan: string;
  /** The newest credit-history entry when the purchase started; null when that could not be read. */
  since: number | null;
  startedAt: number;
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage refused (privacy settings): the return falls back to timing
  }
}

function noteCheckout(note: CheckoutNote): void {
  try {
    storage()?.setItem(STORAGE_KEY, JSON.stringify(note));
  } catch {
    // full or refused: the return falls back to timing
  }
}

function readNote(plan: string): CheckoutNote | null {
  try {
    const raw = storage()?.getItem(STORAGE_KEY);
    const note = raw ? (JSON.parse(raw) as Partial<CheckoutNote>) : null;
    if (!note || note.plan !== plan || typeof note.startedAt !== "number") return null;
    return { plan, since: typeof note.since === "number" ? note.since : null, startedAt: note.startedAt };
  } catch {
    return null;
  }
}

function forgetNote(): void {
  try {
    storage()?.removeItem(STORAGE_KEY);
  } catch {
    // nothing to do
  }
}

/** Which credit-history entries are newer than the purchase's start. */
export interface Baseline {
  since: number | null;
  after: number;
}

export function baselineFor(plan: string, now: number): Baseline {
  const note = readNote(plan);
  if (note) return { since: note.since, after: note.startedAt - CLOCK_SKEW_MS };
  return { since: null, after: now - RECENT_MS };
}

/** The credits the purchases made since `baseline` added, or null while none has landed. */
export function creditsLanded(entries: LedgerEntry[], baseline: Baseline): number | null {
  const landed = entries.filter(
    (entry) =>
      entry.reason === "purchase" &&
      (baseline.since !== null ? entry.id > baseline.since : Date.parse(entry.createdAt) >= baseline.after),
  );
  return landed.length > 0 ? landed.reduce((sum, entry) => sum + entry.amount, 0) : null;
}

/**
 * Starts buying `plan` and sends the browser to the payment page. The credit history's newest entry is read
 * alongside, so that the return can tell this purchase from earlier ones.
 */
export function useBuyPlan() {
  return useMutation({
    mutationFn: async (plan: string) => {
      const [since, { checkoutUrl }] = await Promise.all([
        fetchLedger({ limit: 1 }).then(
          (page) => page.entries[0]?.id ?? 0,
          () => null,
        ),
        unwrap(api.POST("/billing/checkout", { body: { plan } })),
      ]);
      noteCheckout({ plan, since, startedAt: Date.now() });
      return checkoutUrl;
    },
    onSuccess: (checkoutUrl) => window.location.assign(checkoutUrl),
  });
}

export type CheckoutReturn =
  { state: "confirming"; slow: boolean } | { state: "landed"; credits: number } | { state: "none" };

/**
 * On the return from the payment page (`plan` set), asks the API every couple of seconds until the purchase's
 * credits have landed, then refreshes everything that shows the balance or the plan and calls `onLanded`.
 */
export function useCheckoutReturn(plan: string | null, onLanded: () => void): CheckoutReturn {
  const queryClient = useQueryClient();
  const [startedAt] = useState(() => Date.now());
  const [baseline] = useState(() => (plan !== null ? baselineFor(plan, startedAt) : null));
  const [slow, setSlow] = useState(false);
  const announced = useRef(false);
  const landedCallback = useRef(onLanded);
  useEffect(() => {
    landedCallback.current = onLanded;
  });

  const poll = useQuery({
    queryKey: ["checkout-return", plan, startedAt],
    queryFn: async ({ signal }) => {
      const [billing, ledger] = await Promise.all([
        unwrap(api.GET("/billing", { signal })),
        fetchLedger({ limit: 20 }, signal),
      ]);
      queryClient.setQueryData(billingKeys.billing, billing);
      return baseline ? creditsLanded(ledger.entries, baseline) : null;
    },
    enabled: baseline !== null,
    // Once the credits are in, the answer stands: nothing asks again.
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
    refetchInterval: (query) =>
      typeof query.state.data === "number" || Date.now() - startedAt > GIVE_UP_AFTER_MS
        ? false
        : slow
          ? SLOW_POLL_MS
          : CONFIRM_POLL_MS,
    refetchIntervalInBackground: true,
    gcTime: 0,
  });
  const landed = typeof poll.data === "number" ? poll.data : null;

  useEffect(() => {
    if (landed === null || announced.current) return;
    announced.current = true;
    forgetNote();
    void invalidateAfterPurchase(queryClient);
    landedCallback.current();
  }, [landed, queryClient]);

  useEffect(() => {
    if (baseline === null || landed !== null) return;
    const timer = setTimeout(() => setSlow(true), SLOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, [baseline, landed]);

  if (baseline === null) return { state: "none" };
  if (landed !== null) return { state: "landed", credits: landed };
  return { state: "confirming", slow };
}
