import type { Page, Request } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  PORTRAIT,
  expectCredits,
  sharedBrowser,
  registerThroughApi,
  registerThroughUi,
  seriousA11yViolations,
  snapshot,
  toast,
  visible,
  withPage,
} from "./helpers";

const browser = sharedBrowser();

const OUTAGE_MS = 3000;

/**
 * Cuts the page off from the API while `down` is set, as a restarting server or a dropped connection would: every
 * call of the app's (fetch and XHR) fails without an answer. The page itself, its scripts and images still load.
 * With `afterAccepting`, the API goes away as soon as it has accepted a generation.
 */
async function apiSwitch(page: Page, { afterAccepting = false } = {}) {
  const state = { down: false, since: 0, refused: [] as string[] };
  const isApiCall = (request: Request) => ["fetch", "xhr"].includes(request.resourceType());
  // The upload itself is left alone: Chromium hands an intercepted request's file body over empty.
  const isUpload = (url: URL) => url.pathname === "/generations" && url.search === "";
  await page.route(
    (url) => !isUpload(url),
    async (route) => {
      const request = route.request();
      if (state.down && isApiCall(request)) {
        state.refused.push(`${request.method()} ${new URL(request.url()).pathname}`);
        await route.abort("internetdisconnected");
        return;
      }
      await route.continue();
    },
  );
  if (afterAccepting) {
    page.on("response", (response) => {
      if (response.request().method() === "POST" && isUpload(new URL(response.url())) && response.status() === 202) {
        state.down = true;
        state.since = Date.now();
      }
    });
  }
  return state;
}

const reconnecting = (page: Page) => page.getByRole("status").filter({ hasText: "Reconnecting…" });

async function expectNoFailure(page: Page) {
  expect(await page.getByText("Something went wrong").count()).toBe(0);
  expect(await page.getByTestId("generation-error").count()).toBe(0);
  expect(await toast(page, "Generation Failed").count()).toBe(0);
}

describe("a short outage", () => {
  it("during a generation is ridden out: the page reconnects and shows the result the API finished meanwhile", async () => {
    await withPage(browser(), async (page) => {
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      const email = await registerThroughUi(page);
      await expectCredits(page, 30);
      const api = await apiSwitch(page, { afterAccepting: true });

      await page.locator("#portrait-input").setInputFiles(PORTRAIT);
      const generate = page.getByRole("button", { name: "Generate · 10 credits" });
      await expect.poll(() => generate.isEnabled(), { timeout: 10_000 }).toBe(true);
      await generate.click();

      const status = await visible(reconnecting(page), 15_000);
      expect(await status.evaluate((element) => element.closest("[aria-live]")?.getAttribute("aria-live"))).toBe(
        "polite",
      );
      await visible(page.getByTestId("generation-progress"));
      const violations = await seriousA11yViolations(page);
      expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
      await snapshot(page, "outage-reconnecting");
      await page.waitForTimeout(Math.max(0, api.since + OUTAGE_MS - Date.now()));
      await expectNoFailure(page);
      // The poll kept asking through the outage, not just once.
      expect(api.refused.filter((call) => /^GET \/generations\/gen_/.test(call)).length).toBeGreaterThanOrEqual(2);

      api.down = false;
      await visible(toast(page, "Superhero transformation complete!"), 30_000);
      const after = page.getByTestId("generation-result").getByAltText("Superhero portrait");
      await expect
        .poll(() => after.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
        .toBe(true);
      await expect.poll(() => reconnecting(page).count()).toBe(0);
      await expectNoFailure(page);
      await expectCredits(page, 20);
      await visible(page.getByText(`Signed in as ${email}`));
      await visible(page.getByRole("button", { name: "Log out" }));
      expect(errors).toEqual([]);
    });
  });

  it("while a page opens waits for the API instead of failing or signing out", async () => {
    await withPage(browser(), async (page, context) => {
      await registerThroughApi(context);
      const api = await apiSwitch(page);
      api.down = true;
      await page.goto("/gallery");
      await visible(reconnecting(page), 15_000);
      await visible(page.getByText("Checking your hero credentials…"));
      await page.waitForTimeout(1000);
      expect(await page.getByText("Something went wrong").count()).toBe(0);
      expect(new URL(page.url()).pathname).toBe("/gallery");

      api.down = false;
      await visible(page.getByRole("heading", { name: "Gallery", exact: true }), 15_000);
      await expect.poll(() => reconnecting(page).count()).toBe(0);
      expect(new URL(page.url()).pathname).toBe("/gallery");
    });
  });
});
