import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./queries";
import type { Billing, LedgerPage } from "./types";

export const billingKeys = {
  plans: ["plans"] as const,
  all: queryKeys.billing,
  billing: [...queryKeys.billing, "state"] as const,
  purchases: [...queryKeys.billing, "purchases"] as const,
  ledger: [...queryKeys.billing, "ledger"] as const,
};

export const LEDGER_PAGE_SIZE = 20;

/** What can be bought, as the API sells it; the same for everyone, so kept for the session. */
export function usePlans() {
  return useQuery({
    queryKey: billingKeys.plans,
    queryFn: ({ signal }) => unwrap(api.GET("/billing/plans", { signal })),
    select: (data) => data.plans,
    staleTime: 5 * 60_000,
  });
}

/** The signed-in person's credits and plan. */
export function useBilling({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: billingKeys.billing,
    queryFn: ({ signal }): Promise<Billing> => unwrap(api.GET("/billing", { signal })),
    enabled,
  });
}

export function usePurchases() {
  return useQuery({
    queryKey: billingKeys.purchases,
    queryFn: ({ signal }) => unwrap(api.GET("/billing/purchases", { signal })),
    select: (data) => data.purchases,
  });
}

export function fetchLedger(
  { limit = LEDGER_PAGE_SIZE, cursor }: { limit?: number; cursor?: string | null } = {},
  signal?: AbortSignal,
): Promise<LedgerPage> {
  return unwrap(api.GET("/credits/ledger", { params: { query: { limit, ...(cursor ? { cursor } : {}) } }, signal }));
}

/** Every credit in and out, newest first, a page at a time. */
export function useLedger() {
  return useInfiniteQuery({
    queryKey: billingKeys.ledger,
    queryFn: ({ pageParam, signal }) => fetchLedger({ cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage: LedgerPage) => lastPage.nextCursor ?? undefined,
  });
}

/** After credits arrived: every place that shows the balance or the plan asks again. */
export function invalidateAfterPurchase(queryClient: QueryClient) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.me }),
    queryClient.invalidateQueries({ queryKey: queryKeys.stats }),
    queryClient.invalidateQueries({ queryKey: billingKeys.all }),
  ]);
}

/** The payment provider's customer portal, where a subscriber changes or cancels a plan. */
export function usePortal() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { portalUrl } = await unwrap(api.POST("/billing/portal"));
      return portalUrl;
    },
    onError: () => queryClient.invalidateQueries({ queryKey: billingKeys.purchases }),
  });
}
