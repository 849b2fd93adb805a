import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  expectCredits,
  horizontalOverflow,
  sharedBrowser,
  registerThroughUi,
  seriousA11yViolations,
  snapshot,
  visible,
  withPage,
} from "./helpers";

// The shared backend: its payments are the offline checkout, where no money moves.
const browser = sharedBrowser();

async function fitsAndPassesAxe(page: Page, label: string) {
  await page.waitForLoadState("networkidle");
  const violations = await seriousA11yViolations(page);
  expect(violations, `${label}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  expect(await horizontalOverflow(page), `${label} overflows horizontally`).toBeLessThanOrEqual(0);
}

describe("buying credits", () => {
  it("buys Basic through the offline checkout, and the credits land on the billing page", async () => {
    await withPage(browser(), async (page) => {
      await registerThroughUi(page);
      await expectCredits(page, 30);

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pricing" }).click();
      await page.waitForURL("**/pricing");
      const basic = page.getByRole("listitem", { name: "Basic", exact: true });
      await visible(basic.getByText("100 credits every month"));
      await basic.getByRole("button", { name: "Buy Basic" }).click();

      // The API's own checkout page: a full page load, not a page of the app.
      await page.waitForURL(/\/billing\/local-checkout\/[^/]+$/);
      await visible(page.getByText(/no money moves/));
      await snapshot(page, "billing-offline-checkout");
      await page.getByRole("button", { name: "Pay" }).click();

      await page.waitForURL((url) => url.pathname === "/account/billing");
      const received = page.getByRole("status").filter({ hasText: "Payment received" });
      await visible(received);
      expect(await received.textContent()).toContain("Payment received: 100 credits added.");
      await visible(page.getByRole("link", { name: "130 credits available. Get credits" }));
      await visible(page.getByText("You have 130 credits."));

      const plan = page.getByRole("region", { name: "Your plan" });
      await visible(plan.getByText("Basic", { exact: true }));
      await visible(plan.getByText("Active", { exact: true }));
      await visible(plan.getByRole("button", { name: "Manage or cancel" }));
      const purchases = page.getByRole("list", { name: "Purchases" }).getByRole("listitem");
      await expect.poll(() => purchases.count()).toBe(1);
      expect(await purchases.first().textContent()).toContain("100 credits");

      const ledger = page.getByRole("list", { name: "Credit history" }).getByRole("listitem");
      await expect.poll(() => ledger.count()).toBe(2);
      const bought = ledger.first();
      expect(await bought.textContent()).toMatch(/^Purchase.*\+100 credits.*Balance 130$/);
      expect(await ledger.nth(1).textContent()).toMatch(/^Welcome credits.*\+30 credits.*Balance 30$/);
      await snapshot(page, "billing-after-purchase");
      await fitsAndPassesAxe(page, "desktop /account/billing");

      // The pricing page now marks Basic as this account's plan.
      await page.goto("/pricing");
      await visible(page.getByRole("listitem", { name: "Basic", exact: true }).getByText("Your plan", { exact: true }));
      await fitsAndPassesAxe(page, "desktop /pricing");
      await snapshot(page, "billing-pricing-with-plan", { fullPage: true });

      await page.setViewportSize({ width: 390, height: 844 });
      await fitsAndPassesAxe(page, "phone /pricing");
      await page.goto("/account/billing");
      await visible(page.getByText("You have 130 credits."));
      await fitsAndPassesAxe(page, "phone /account/billing");
      await snapshot(page, "billing-phone", { fullPage: true });
    });
  });
});
