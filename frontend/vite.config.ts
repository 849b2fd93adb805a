/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

const API_TARGET = process.env.API_URL ?? "http://localhost:8000";

// The API rejects cookie-authenticated writes whose Origin is not its own. The dev server sits on
// another port, so the proxy presents requests as coming from the API's origin; in production the
// SPA and the API share one origin and nothing needs rewriting.
const apiProxy: ProxyOptions = {
  target: API_TARGET,
  changeOrigin: true,
  configure(proxy) {
    proxy.on("proxyReq", (proxyReq) => {
      if (proxyReq.getHeader("origin")) proxyReq.setHeader("origin", API_TARGET);
    });
  },
};

const API_PREFIXES = [
  "/auth",
  "/users",
  "/generations",
  "/user",
  "/styles",
  "/config",
  "/media",
  "/health",
  "/billing",
  "/credits",
  "/admin",
];

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, apiProxy])),
  },
  build: {
    outDir: "dist",
    // Made for debugging a build, but not referenced from the files, and never served (app/spa.py).
    sourcemap: "hidden",
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
    // Polling tests wait on real intervals.
    testTimeout: 15_000,
  },
});
