import { QueryClient } from "@tanstack/react-query";
import { retryDelay, shouldRetry } from "./api/outage";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A 4xx will not change by asking again; an outage is waited out (the page says it is reconnecting), and
        // another 5xx is worth two more tries.
        retry: shouldRetry,
        retryDelay,
      },
      mutations: { retry: false },
    },
  });
}
