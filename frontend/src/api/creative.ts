import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./queries";
import type { AgainOptions, Generation, GenerationAccepted, PublicGallery, ShareOut } from "./types";

export const creativeKeys = {
  models: ["models"] as const,
  publicGallery: ["public-gallery"] as const,
};

export const PUBLIC_PAGE_SIZE = 24;

/** The image models to choose from, each at its own price (no login needed). */
export function useModels() {
  return useQuery({
    queryKey: creativeKeys.models,
    queryFn: ({ signal }) => unwrap(api.GET("/models", { signal })),
    staleTime: Number.POSITIVE_INFINITY,
    select: (data) => data.models,
  });
}

/** A change to a completed result ("make the cape red"): a new generation whose parent is that result. */
export function refineGeneration(id: string, instruction: string, idempotencyKey: string): Promise<GenerationAccepted> {
  return unwrap(
    api.POST("/generations/{generation_id}/refine", {
      params: { path: { generation_id: id }, header: { "idempotency-key": idempotencyKey } },
      body: { instruction },
    }),
  );
}

/** Same photo, another portrait: another style (and optionally other wishes, shape, model or count). */
export function generateAgain(id: string, options: AgainOptions, idempotencyKey: string): Promise<GenerationAccepted> {
  return unwrap(
    api.POST("/generations/{generation_id}/again", {
      params: { path: { generation_id: id }, header: { "idempotency-key": idempotencyKey } },
      body: options,
    }),
  );
}

function rememberShareUrl(queryClient: ReturnType<typeof useQueryClient>, id: string, shareUrl: string | null) {
  queryClient.setQueryData<Generation>(queryKeys.generation(id), (generation) =>
    generation ? { ...generation, shareUrl } : generation,
  );
}

/** Shares a completed result (the same link every time); `gallery` is the owner's consent to the public gallery. */
export function useShareGeneration(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (gallery: boolean): Promise<ShareOut> =>
      unwrap(
        api.POST("/generations/{generation_id}/share", { params: { path: { generation_id: id } }, body: { gallery } }),
      ),
    onSuccess: async (shared) => {
      rememberShareUrl(queryClient, id, shared.shareUrl);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.generations }),
        queryClient.invalidateQueries({ queryKey: creativeKeys.publicGallery }),
      ]);
    },
  });
}

/** Stops sharing: the link and its image are gone from the public at once. */
export function useStopSharing(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await unwrap(api.DELETE("/generations/{generation_id}/share", { params: { path: { generation_id: id } } }));
    },
    onSuccess: async () => {
      rememberShareUrl(queryClient, id, null);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.generations }),
        queryClient.invalidateQueries({ queryKey: creativeKeys.publicGallery }),
      ]);
    },
  });
}

/** The public gallery: results their owners chose to show, newest first. */
export function usePublicGallery() {
  return useInfiniteQuery({
    queryKey: creativeKeys.publicGallery,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/public", {
          params: { query: { limit: PUBLIC_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) } },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage: PublicGallery) => lastPage.nextCursor ?? undefined,
  });
}
