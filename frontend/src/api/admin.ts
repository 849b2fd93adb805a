import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./queries";
import type { AdminStats, AdminUser, AdminUserDetail, AdminUsersPage } from "./types";

export const adminKeys = {
  all: ["admin"] as const,
  users: (q: string) => ["admin", "users", q] as const,
  user: (id: string) => ["admin", "user", id] as const,
  stats: (days: number) => ["admin", "stats", days] as const,
};

export const ADMIN_USERS_PAGE_SIZE = 25;

/** Accounts, newest first, those whose email contains `q` when it is given; a page at a time. */
export function useAdminUsers(q: string) {
  return useInfiniteQuery({
    queryKey: adminKeys.users(q),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/admin/users", {
          params: {
            query: { limit: ADMIN_USERS_PAGE_SIZE, ...(q ? { q } : {}), ...(pageParam ? { cursor: pageParam } : {}) },
          },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage: AdminUsersPage) => lastPage.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

/** One account with its latest generations, ledger and the administrators' actions on it. */
export function useAdminUser(id: string) {
  return useQuery({
    queryKey: adminKeys.user(id),
    queryFn: ({ signal }): Promise<AdminUserDetail> =>
      unwrap(api.GET("/admin/users/{user_id}", { params: { path: { user_id: id } }, signal })),
  });
}

/** The service's numbers over the last `days` days. */
export function useAdminStats(days: number) {
  return useQuery({
    queryKey: adminKeys.stats(days),
    queryFn: ({ signal }): Promise<AdminStats> =>
      unwrap(api.GET("/admin/stats", { params: { query: { days } }, signal })),
    placeholderData: keepPreviousData,
  });
}

/** After a change to an account: the console's views of it, and the operator's own balance should it be theirs. */
function useRefreshAfterChange() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: adminKeys.all }),
      queryClient.invalidateQueries({ queryKey: queryKeys.me }),
      queryClient.invalidateQueries({ queryKey: queryKeys.stats }),
      queryClient.invalidateQueries({ queryKey: queryKeys.billing }),
    ]);
}

/** Grants (a positive amount) or takes (a negative one) credits, with the reason kept in the ledger. */
export function useAdjustCredits(userId: string) {
  const refresh = useRefreshAfterChange();
  return useMutation({
    mutationFn: async ({ amount, note }: { amount: number; note: string }) => {
      const { credits } = await unwrap(
        api.POST("/admin/users/{user_id}/credits", { params: { path: { user_id: userId } }, body: { amount, note } }),
      );
      return credits;
    },
    onSuccess: refresh,
  });
}

/** Gives a generation's credits back to its owner, once. */
export function useRefundGeneration() {
  const refresh = useRefreshAfterChange();
  return useMutation({
    mutationFn: async ({ generationId, note }: { generationId: string; note: string }) => {
      const { credits } = await unwrap(
        api.POST("/admin/generations/{generation_id}/refund", {
          params: { path: { generation_id: generationId } },
          body: { note },
        }),
      );
      return credits;
    },
    onSettled: refresh,
  });
}

/** Takes a shared result out of the public gallery (its owner's link keeps working). */
export function useTakeDownFromGallery() {
  const refresh = useRefreshAfterChange();
  return useMutation({
    mutationFn: async (slug: string) => {
      await unwrap(api.DELETE("/admin/gallery/{slug}", { params: { path: { slug } } }));
    },
    onSuccess: refresh,
  });
}

/** Disables an account (its logins and API keys stop working at once) or enables it again. */
export function useSetAccountActive(userId: string) {
  const refresh = useRefreshAfterChange();
  return useMutation({
    mutationFn: (isActive: boolean): Promise<AdminUser> =>
      unwrap(api.PATCH("/admin/users/{user_id}", { params: { path: { user_id: userId } }, body: { isActive } })),
    onSuccess: refresh,
  });
}
