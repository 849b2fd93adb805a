import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startBackend, type RunningBackend } from "./backend";
import { productionBuildEnv } from "./build";
import { PORTRAIT, expectCredits, launchBrowser, registerThroughUi, toast, visible, withPage } from "./helpers";
import { serveStatic } from "./staticSite";

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(frontendDir, "..");

// The SPA on its own host, talking to the API on another origin: CORS_ORIGINS on the API, VITE_API_ORIGIN in the build.
let browser: Browser;
let backend: RunningBackend;
let site: Server;
let siteOrigin: string;
let buildDir: string;

beforeAll(async () => {
  const sitePort = await freePort();
  siteOrigin = `http://localhost:${sitePort}`;
  backend = await startBackend({
    repoRoot,
    distDir: path.join(tmpdir(), "no-spa-here"),
    env: { CORS_ORIGINS: JSON.stringify([siteOrigin]) },
    host: "localhost",
  });
  buildDir = mkdtempSync(path.join(tmpdir(), "aivenger-spa-elsewhere-"));
  const build = spawnSync("npx", ["vite", "build", "--outDir", buildDir, "--emptyOutDir"], {
    cwd: frontendDir,
    env: productionBuildEnv({ VITE_API_ORIGIN: backend.baseURL }),
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  site = await serveStatic(buildDir, sitePort);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await backend?.stop();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe("the SPA hosted on another origin", () => {
  it("signs up, generates and shows the result served by the API", async () => {
    await withPage(
      browser,
      async (page) => {
        await registerThroughUi(page);
        expect(new URL(page.url()).origin).toBe(siteOrigin);
        await expectCredits(page, 30);

        await page.locator("#portrait-input").setInputFiles(PORTRAIT);
        const button = page.getByRole("button", { name: "Generate · 10 credits" });
        await expect.poll(() => button.isEnabled(), { timeout: 10_000 }).toBe(true);
        await button.click();

        await visible(toast(page, "Superhero transformation complete!"), 60_000);
        const after = page.getByTestId("generation-result").getByAltText("Superhero portrait");
        await expect
          .poll(() => after.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
          .toBe(true);
        expect(await after.evaluate((img: HTMLImageElement) => img.src)).toMatch(
          new RegExp(`^${backend.baseURL}/media/`),
        );
        await expectCredits(page, 20);
      },
      { origin: siteOrigin },
    );
  });
});
