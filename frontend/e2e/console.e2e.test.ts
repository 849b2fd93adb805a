import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  PORTRAIT,
  baseURL,
  generateThroughApi,
  horizontalOverflow,
  sharedBrowser,
  logInThroughApi,
  makeAdminOfSharedBackend,
  registerThroughApi,
  registerThroughUi,
  seriousA11yViolations,
  snapshot,
  toast,
  uniqueEmail,
  visible,
  withPage,
} from "./helpers";

const browser = sharedBrowser();

/** Checks the page as it stands, once the toasts of what just happened are closed. */
async function fitsAndPassesAxe(page: Page, label: string) {
  await page.waitForLoadState("networkidle");
  const toasts = page.locator("[data-sonner-toast]");
  for (const close of await toasts.locator("[data-close-button]").all()) {
    await close.click({ timeout: 1000 }).catch(() => undefined);
  }
  await expect.poll(() => toasts.count(), { timeout: 10_000 }).toBe(0);
  const violations = await seriousA11yViolations(page);
  expect(violations, `${label}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  expect(await horizontalOverflow(page), `${label} overflows horizontally`).toBeLessThanOrEqual(0);
}

/** `GET /users/me` as a script would call it: with an API key, from outside any browser. */
function meWithKey(key: string): Promise<Response> {
  return fetch(`${baseURL()}/users/me`, { headers: { Authorization: `Bearer ${key}` } });
}

describe("API keys", () => {
  it("are created on the account page, shown once, work for scripts, and stop working once revoked", async () => {
    await withPage(browser(), async (page, context) => {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL() });
      const email = await registerThroughUi(page);
      await page.getByRole("link", { name: "Account" }).click();
      const keys = page.getByRole("region", { name: "API keys" });
      await visible(keys.getByText("No keys yet."));

      await keys.getByLabel("Name of a new key").fill("nightly script");
      await keys.getByRole("button", { name: "Create key" }).click();
      const shown = await visible(page.getByRole("region", { name: "Your new key “nightly script”" }));
      await visible(shown.getByText("Copy it now: you won't see it again."));
      await shown.getByRole("button", { name: "Copy the API key" }).click();
      await visible(toast(page, "API key copied"));
      const key = await page.evaluate(() => navigator.clipboard.readText());
      expect(key).toMatch(/^aiv_[\w-]{20,}$/);
      expect(await shown.getByLabel("API key", { exact: true }).inputValue()).toBe(key);
      const commands = await shown.locator("pre").allTextContents();
      expect(commands).toEqual([
        `curl -H "Authorization: Bearer ${key}" ${baseURL()}/users/me`,
        `curl -H "Authorization: Bearer ${key}" -H "Prefer: wait=60" -F image=@portrait.jpg -F style=superhero ${baseURL()}/generations`,
      ]);
      await snapshot(page, "keys-created");
      await fitsAndPassesAxe(page, "desktop /account with a new key");
      await page.setViewportSize({ width: 390, height: 844 });
      await fitsAndPassesAxe(page, "phone /account with a new key");
      await snapshot(page, "keys-created-phone", { fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });

      const me = await meWithKey(key);
      expect(me.status).toBe(200);
      expect(((await me.json()) as { email: string }).email).toBe(email);

      await shown.getByRole("button", { name: "I've saved my key" }).click();
      expect(await shown.count()).toBe(0);
      // Listed by name and prefix; the key itself is nowhere on the page any more.
      const row = keys.getByRole("list", { name: "Your keys" }).getByRole("listitem");
      await expect.poll(() => row.count()).toBe(1);
      await visible(row.getByText(`${key.slice(0, 12)}…`));
      expect(await page.content()).not.toContain(key);

      await row.getByRole("button", { name: "Revoke nightly script" }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "Revoke this key?" }));
      await dialog.getByRole("button", { name: "Revoke key" }).click();
      await visible(toast(page, "Key revoked"));
      await visible(keys.getByText("No keys yet."));

      expect((await meWithKey(key)).status).toBe(401);

      // Not an operator: no console in the navigation, and the console's address says it isn't theirs.
      const nav = page.getByRole("navigation", { name: "Main" });
      await visible(nav.getByRole("link", { name: "Billing" }));
      expect(await nav.getByRole("link", { name: "Console" }).count()).toBe(0);
      await page.goto("/console");
      await visible(page.getByRole("heading", { name: "Not for you, hero" }));
    });
  });
});

describe("the operators' console", () => {
  it("shows an administrator the service's numbers and lets them look after an account", async () => {
    const portrait = { name: "portrait.jpg", mimeType: "image/jpeg", buffer: await readFile(PORTRAIT) };
    await withPage(browser(), async (_targetPage, target) => {
      // The account looked after, with a transformation of its own.
      const email = await registerThroughApi(target, uniqueEmail("looked-after"));
      const made = await generateThroughApi(target, portrait, { wait: 30 });
      expect(made.status).toBe(201);

      await withPage(browser(), async (page) => {
        const operator = await registerThroughUi(page, uniqueEmail("operator"));
        const nav = page.getByRole("navigation", { name: "Main" });
        await visible(nav.getByRole("link", { name: "Billing" }));
        expect(await nav.getByRole("link", { name: "Console" }).count()).toBe(0);

        makeAdminOfSharedBackend(operator);
        await page.reload();
        await nav.getByRole("link", { name: "Console" }).click();
        await page.waitForURL((url) => url.pathname === "/console");

        // The overview: headline numbers and charts drawn from the generations so far.
        await visible(page.getByRole("heading", { name: "Service overview" }));
        const total = page
          .getByRole("region", { name: "Headline numbers" })
          .locator("div")
          .filter({ has: page.getByText("Generations", { exact: true }) })
          .locator("dd")
          .first();
        await expect.poll(async () => Number(await total.textContent())).toBeGreaterThanOrEqual(1);
        const byDay = page.getByRole("figure", { name: "Generations per day" });
        await visible(byDay.locator(".recharts-wrapper > svg"));
        await expect.poll(() => byDay.locator(".recharts-bar-rectangle path").count()).toBeGreaterThan(0);
        await visible(byDay.getByText(/completed and \d+ failed over 30 days/));
        for (const name of ["Credits spent and purchased per day", "Popular hours", "Styles"]) {
          await visible(page.getByRole("figure", { name }).locator(".recharts-wrapper > svg"));
        }
        await page.getByRole("group", { name: "Period" }).getByRole("button", { name: "7 days" }).click();
        await visible(page.getByRole("heading", { name: "Over the last 7 days" }));
        await snapshot(page, "console-overview", { fullPage: true });
        await fitsAndPassesAxe(page, "desktop /console");

        // Find the account.
        await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Users" }).click();
        await page.getByRole("searchbox", { name: "Email contains" }).fill(email);
        await page.getByRole("button", { name: "Search" }).click();
        const found = page.getByRole("list", { name: `Accounts matching “${email}”` }).getByRole("listitem");
        await expect.poll(() => found.count()).toBe(1);
        await visible(found.getByText("20 credits"));
        await found.getByRole("link", { name: email }).click();
        await visible(page.getByRole("heading", { level: 1, name: email }));

        // Grant 5 credits, with a reason.
        const credits = page.getByRole("region", { name: "Credits" });
        const balance = credits.getByTestId("admin-balance");
        expect(await balance.textContent()).toBe("20 credits");
        await credits.getByLabel("Amount").fill("5");
        await credits.getByLabel("Reason").fill("Thanks for the bug report");
        await credits.getByRole("button", { name: "Grant 5 credits" }).click();
        await visible(credits.getByText("Done: the balance is now 25 credits."));
        await expect.poll(() => balance.textContent()).toBe("25 credits");
        const ledger = page.getByRole("list", { name: "Credit history" }).getByRole("listitem");
        await visible(ledger.first().getByText("Thanks for the bug report"));
        expect(await ledger.first().textContent()).toContain("+5 credits");
        const own = await target.request.get("/users/me");
        expect(((await own.json()) as { credits: number }).credits).toBe(25);

        // Refund its transformation, once.
        const generation = page.getByRole("list", { name: "Recent generations" }).getByRole("listitem").first();
        await generation.getByRole("button", { name: /^Refund the / }).click();
        const refund = await visible(page.getByRole("dialog", { name: "Refund this generation?" }));
        await refund.getByLabel("Reason").fill("Goodwill");
        await refund.getByRole("button", { name: "Refund 10 credits" }).click();
        await visible(toast(page, "10 credits given back"));
        await expect.poll(() => balance.textContent()).toBe("35 credits");
        await visible(generation.getByText("Refunded", { exact: true }));
        await snapshot(page, "console-user", { fullPage: true });
        await fitsAndPassesAxe(page, "desktop /console/users/:id");

        // Disable the account: its session ends at once. Enable it: it can log in again.
        const access = page.getByRole("region", { name: "Access" });
        await access.getByRole("button", { name: "Disable account" }).click();
        const disable = await visible(page.getByRole("dialog", { name: "Disable this account?" }));
        await disable.getByRole("button", { name: "Disable account" }).click();
        await visible(toast(page, "Account disabled"));
        const header = page.locator("header").filter({ has: page.getByRole("heading", { level: 1, name: email }) });
        await visible(header.getByText("Disabled", { exact: true }));
        expect((await target.request.get("/users/me")).status()).toBe(401);

        await access.getByRole("button", { name: "Enable account" }).click();
        const enable = await visible(page.getByRole("dialog", { name: "Enable this account?" }));
        await enable.getByRole("button", { name: "Enable account" }).click();
        await visible(toast(page, "Account enabled"));
        await visible(header.getByText("Active", { exact: true }));
        await logInThroughApi(target, email);
        expect((await target.request.get("/users/me")).status()).toBe(200);

        const actions = page.getByRole("list", { name: "Administrators' actions" }).getByRole("listitem");
        await expect.poll(() => actions.count()).toBe(4);

        await page.setViewportSize({ width: 390, height: 844 });
        await fitsAndPassesAxe(page, "phone /console/users/:id");
        await page.goto("/console");
        await visible(page.getByRole("figure", { name: "Generations per day" }).locator(".recharts-wrapper > svg"));
        await fitsAndPassesAxe(page, "phone /console");
        await snapshot(page, "console-overview-phone", { fullPage: true });
      });
    });
  });
});
