import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { ApiKeyCreated } from "./types";

export const keyKeys = {
  all: ["api-keys"] as const,
};

/** The signed-in person's API keys, newest first: names and prefixes, never the keys themselves. */
export function useApiKeys() {
  return useQuery({
    queryKey: keyKeys.all,
    queryFn: ({ signal }) => unwrap(api.GET("/users/me/api-keys", { signal })),
    select: (data) => data.apiKeys,
  });
}

/** A new key; the answer is the only time the key itself is known. */
export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string): Promise<ApiKeyCreated> => unwrap(api.POST("/users/me/api-keys", { body: { name } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keyKeys.all }),
  });
}

/** Revokes a key: it stops working at once. */
export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      await unwrap(api.DELETE("/users/me/api-keys/{key_id}", { params: { path: { key_id: id } } }));
    },
    // Gone either way (a 404 means another tab revoked it first): the list is what needs fixing.
    onSettled: () => queryClient.invalidateQueries({ queryKey: keyKeys.all }),
  });
}
