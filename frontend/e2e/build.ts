import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(target).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(target, entry))), 0);
}

/**
 * The environment for `vite build` from inside a test run: Vitest sets NODE_ENV=test, which would make Vite bundle
 * React's development build. The browser tests must drive what `make run` ships.
 */
export function productionBuildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_ENV: "production", ...extra };
}

/** Builds the SPA unless dist/ is newer than everything it is built from. */
export function buildIfNeeded(frontendDir: string): void {
  const builtAt = newestMtime(path.join(frontendDir, "dist", "index.html"));
  const sources = ["src", "public", "index.html", "vite.config.ts", "package-lock.json"].map((entry) =>
    newestMtime(path.join(frontendDir, entry)),
  );
  if (builtAt > 0 && sources.every((mtime) => mtime <= builtAt)) return;
  const result = spawnSync("npm", ["run", "build"], {
    cwd: frontendDir,
    env: productionBuildEnv(),
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("npm run build failed");
}
