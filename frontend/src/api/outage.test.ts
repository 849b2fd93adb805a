import { describe, expect, it } from "vitest";
import { ApiError, networkError } from "./errors";
import { isOutage, isReconnecting, retryDelay, shouldRetry } from "./outage";

const answered = (status: number, code = "X") => new ApiError(status, code, "message");

describe("isOutage", () => {
  it.each([
    ["no answer at all", networkError(), true],
    ["a proxy's 502", answered(502), true],
    ["a 503", answered(503, "SERVICE_UNAVAILABLE"), true],
    ["a gateway timeout", answered(504), true],
    ["a 500", answered(500), false],
    ["a 401", answered(401), false],
    ["a 404", answered(404), false],
    ["something that is not the API's", new Error("boom"), false],
    ["nothing", undefined, false],
  ])("%s: %s", (_label, error, expected) => {
    expect(isOutage(error)).toBe(expected);
  });
});

describe("shouldRetry", () => {
  it("waits out an outage however long it lasts", () => {
    expect(shouldRetry(0, networkError())).toBe(true);
    expect(shouldRetry(500, answered(503))).toBe(true);
  });

  it("tries another server error twice more", () => {
    expect([0, 1, 2].map((count) => shouldRetry(count, answered(500)))).toEqual([true, true, false]);
  });

  it("never asks again after a 4xx", () => {
    for (const status of [400, 401, 402, 404, 422, 429]) expect(shouldRetry(0, answered(status))).toBe(false);
  });
});

describe("retryDelay", () => {
  it("doubles from one second and settles at ten", () => {
    expect([0, 1, 2, 3, 4, 5, 50].map(retryDelay)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
});

describe("isReconnecting", () => {
  it("is true while a query is trying again after an outage", () => {
    expect(isReconnecting([{ fetchStatus: "fetching", fetchFailureReason: networkError() }])).toBe(true);
    expect(isReconnecting([{ fetchStatus: "paused", fetchFailureReason: answered(502) }])).toBe(true);
  });

  it("is false once queries have given up, failed for another reason, or succeeded", () => {
    expect(
      isReconnecting([
        { fetchStatus: "idle", fetchFailureReason: networkError() },
        { fetchStatus: "fetching", fetchFailureReason: answered(500) },
        { fetchStatus: "fetching", fetchFailureReason: null },
        { fetchStatus: "idle", fetchFailureReason: null },
      ]),
    ).toBe(false);
    expect(isReconnecting([])).toBe(false);
  });
});
