import { QueryClientProvider } from "@tanstack/react-query";
import { renderHook, waitFor } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { createQueryClient } from "../queryClient";
import { completed, makeGeneration, server, url } from "../test/server";
import { POLL_INTERVAL_MS, useGeneration } from "./queries";
import type { Generation } from "./types";

function wrapper({ children }: { children: ReactNode }) {
  return <QueryClientProvider client={createQueryClient()}>{children}</QueryClientProvider>;
}

/** Answers pending for the first `pendingPolls` requests, then `final`; counts every request. */
function serve(final: Generation, pendingPolls: number) {
  const seen = { requests: 0 };
  server.use(
    http.get(url(`/generations/${final.id}`), () => {
      seen.requests += 1;
      return HttpResponse.json(seen.requests <= pendingPolls ? { ...final, status: "pending" } : final);
    }),
  );
  return seen;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("useGeneration", () => {
  it("polls while pending and stops once the generation is completed", async () => {
    const done = completed(makeGeneration({ id: "gen_poll_ok" }));
    const seen = serve(done, 2);
    const { result } = renderHook(() => useGeneration(done.id), { wrapper });

    await waitFor(() => expect(result.current.data?.status).toBe("completed"), { timeout: POLL_INTERVAL_MS * 5 });
    expect(seen.requests).toBe(3);
    await sleep(POLL_INTERVAL_MS * 2);
    expect(seen.requests).toBe(3);
  });

  it("stops once the generation has failed", async () => {
    const failed = makeGeneration({ id: "gen_poll_failed", status: "failed", errorMessage: "The model refused." });
    const seen = serve(failed, 1);
    const { result } = renderHook(() => useGeneration(failed.id), { wrapper });

    await waitFor(() => expect(result.current.data?.status).toBe("failed"), { timeout: POLL_INTERVAL_MS * 4 });
    expect(result.current.data?.errorMessage).toBe("The model refused.");
    const settled = seen.requests;
    await sleep(POLL_INTERVAL_MS * 2);
    expect(seen.requests).toBe(settled);
  });

  it("does not poll without an id", async () => {
    const seen = serve(makeGeneration({ id: "" }), 0);
    const { result } = renderHook(() => useGeneration(null), { wrapper });
    await sleep(POLL_INTERVAL_MS + 200);
    expect(result.current.fetchStatus).toBe("idle");
    expect(seen.requests).toBe(0);
  });
});
