import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, apiErrorFrom, networkError } from "./errors";
import type { paths } from "./schema";
import { reportUnauthorized } from "./session";

/** The API's origin when the SPA is hosted elsewhere (VITE_API_ORIGIN); unset when the API serves the SPA. */
function configuredApiOrigin(): string | undefined {
  const configured: string | undefined = import.meta.env.VITE_API_ORIGIN;
  return configured ? configured.replace(/\/+$/, "") : undefined;
}

/** Where the API is: this page's own origin, unless the SPA is hosted elsewhere. */
export function apiOrigin(): string {
  return configuredApiOrigin() ?? globalThis.location?.origin ?? "";
}

/** An image URL from the API, ready for src/href: the API's same-origin media paths belong to the API's origin. */
export function mediaSrc(url: string): string {
  const origin = configuredApiOrigin();
  return origin ? new URL(url, `${origin}/`).toString() : url;
}

const unauthorizedWatcher: Middleware = {
  onResponse({ response }) {
    if (response.status === 401) reportUnauthorized();
    return undefined;
  },
};

export const api = createClient<paths>({
  baseUrl: apiOrigin(),
  credentials: "include",
  // Looked up per call rather than captured once, so a fetch installed later (a test's network stub) is used.
  fetch: (request) => globalThis.fetch(request),
});
api.use(unauthorizedWatcher);

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** Resolves to the response body of a successful call and throws an ApiError for anything else. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw networkError();
  }
  if (!outcome.response.ok) throw apiErrorFrom(outcome.response.status, outcome.error);
  return outcome.data as T;
}
