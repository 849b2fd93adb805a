import { afterEach, describe, expect, it, vi } from "vitest";
import { apiOrigin, mediaSrc } from "./client";

describe("where the API and its images are", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("is this page's origin when the API serves the SPA", () => {
    expect(apiOrigin()).toBe(window.location.origin);
    expect(mediaSrc("/media/generations/g/result.png?expires=1&signature=ab")).toBe(
      "/media/generations/g/result.png?expires=1&signature=ab",
    );
  });

  it("is the configured origin when the SPA is hosted elsewhere", () => {
    vi.stubEnv("VITE_API_ORIGIN", "https://api.aivenger.example/");
    expect(apiOrigin()).toBe("https://api.aivenger.example");
    expect(mediaSrc("/media/generations/g/result.png?expires=1&signature=ab")).toBe(
      "https://api.aivenger.example/media/generations/g/result.png?expires=1&signature=ab",
    );
  });

  it("leaves presigned storage URLs as they are", () => {
    vi.stubEnv("VITE_API_ORIGIN", "https://api.aivenger.example");
    const presigned = "https://bucket.s3.amazonaws.com/generations/g/result.png?X-Amz-Signature=abc";
    expect(mediaSrc(presigned)).toBe(presigned);
  });
});
