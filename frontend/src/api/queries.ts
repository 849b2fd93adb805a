import {
  keepPreviousData,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { ApiError } from "./errors";
import { retryDelay, shouldRetry } from "./outage";
import type { ClientConfig, Generation, GenerationPage, GenerationStatus } from "./types";

export const queryKeys = {
  config: ["config"] as const,
  me: ["me"] as const,
  stats: ["stats"] as const,
  styles: ["styles"] as const,
  generations: ["generations"] as const,
  recent: (limit: number) => ["generations", "recent", limit] as const,
  gallery: (status: GenerationStatus) => ["generations", "gallery", status] as const,
  generation: (id: string) => ["generation", id] as const,
  /** Everything about purchases, plans held and the credit history. */
  billing: ["billing"] as const,
};

export const POLL_INTERVAL_MS = 1500;
export const GALLERY_PAGE_SIZE = 24;

/**
 * The product's prices and limits as the API states them (`GET /config`), fetched once per session.
 * Everything the app says about credits, costs and upload limits comes from here; while it loads (or if it
 * can't be loaded) the app leaves the numbers out rather than guess them.
 */
export const clientConfigQuery = queryOptions({
  queryKey: queryKeys.config,
  queryFn: ({ signal }): Promise<ClientConfig> => unwrap(api.GET("/config", { signal })),
  staleTime: Number.POSITIVE_INFINITY,
  gcTime: Number.POSITIVE_INFINITY,
});

export function useClientConfig() {
  return useQuery(clientConfigQuery);
}

export function useStats() {
  return useQuery({
    queryKey: queryKeys.stats,
    queryFn: ({ signal }) => unwrap(api.GET("/user/stats", { signal })),
  });
}

export function useStyles() {
  return useQuery({
    queryKey: queryKeys.styles,
    queryFn: ({ signal }) => unwrap(api.GET("/styles", { signal })),
    staleTime: Number.POSITIVE_INFINITY,
    select: (data) => data.styles,
  });
}

const isPending = (generation: Generation) => generation.status === "pending";

export function useRecentGenerations(limit: number) {
  return useQuery({
    queryKey: queryKeys.recent(limit),
    queryFn: ({ signal }) => unwrap(api.GET("/generations", { params: { query: { limit } }, signal })),
    // A generation started elsewhere (another tab, before a reload) keeps moving here too.
    refetchInterval: (query) => (query.state.data?.generations.some(isPending) ? POLL_INTERVAL_MS * 2 : false),
  });
}

export function useGalleryGenerations(status: GenerationStatus) {
  return useInfiniteQuery({
    queryKey: queryKeys.gallery(status),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/generations", {
          params: { query: { status, limit: GALLERY_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) } },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage: GenerationPage) => lastPage.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function isFinished(generation: Generation | undefined): boolean {
  return generation !== undefined && generation.status !== "pending";
}

/** The query of one generation, polled while it is pending. */
export function generationQuery(
  id: string | null | undefined,
  options: { initialData?: Generation; enabled?: boolean } = {},
) {
  return queryOptions({
    queryKey: queryKeys.generation(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/generations/{generation_id}", { params: { path: { generation_id: id ?? "" } }, signal })),
    enabled: Boolean(id) && options.enabled !== false,
    initialData: options.initialData,
    refetchInterval: (query) => {
      if (query.state.status === "error") return false;
      const generation = query.state.data;
      return generation && isFinished(generation) ? false : POLL_INTERVAL_MS;
    },
    refetchIntervalInBackground: true,
    // Whatever the app's defaults: while the API can't be reached the outcome is unknown, not a failure, so the
    // poll keeps trying (with growing pauses) until the API answers with the generation as it stands.
    retry: shouldRetry,
    retryDelay,
  });
}

/**
 * One generation, polled while it is pending. Polling ends when the generation completes or fails, or when the
 * API answers with an error that asking again won't change; an outage is waited out.
 */
export function useGeneration(
  id: string | null | undefined,
  options: { initialData?: Generation; enabled?: boolean } = {},
) {
  return useQuery(generationQuery(id, options));
}

export function invalidateAfterGenerationChange(queryClient: QueryClient) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.stats }),
    queryClient.invalidateQueries({ queryKey: queryKeys.generations }),
    queryClient.invalidateQueries({ queryKey: queryKeys.me }),
    queryClient.invalidateQueries({ queryKey: queryKeys.billing }),
  ]);
}

export function useDeleteGeneration() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/generations/{generation_id}", { params: { path: { generation_id: id } } })),
    onSuccess: async (_data, id) => {
      queryClient.removeQueries({ queryKey: queryKeys.generation(id) });
      await invalidateAfterGenerationChange(queryClient);
    },
    onError: async (error, id) => {
      // Already gone (another tab deleted it): the lists are what need fixing, not the person.
      if (error instanceof ApiError && error.status === 404) {
        queryClient.removeQueries({ queryKey: queryKeys.generation(id) });
        await invalidateAfterGenerationChange(queryClient);
      }
    },
  });
}
