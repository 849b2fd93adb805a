import { describe, expect, it } from "vitest";
import {
  PORTRAIT,
  baseURL,
  expectCredits,
  sharedBrowser,
  registerThroughUi,
  snapshot,
  toast,
  visible,
  withPage,
} from "./helpers";

const browser = sharedBrowser();

describe("creative options and sharing", () => {
  it("makes two story-shaped variations, refines one, shares it publicly and takes it back", async () => {
    await withPage(browser(), async (page) => {
      await registerThroughUi(page);
      await expectCredits(page, 30);

      await page.locator("#portrait-input").setInputFiles(PORTRAIT);
      await page.getByRole("textbox", { name: /Your wishes/ }).fill("a red cape and lightning powers");
      await page.getByText("Story / wallpaper").click();
      await page.getByText(/More options/).click();
      await page.getByRole("radio", { name: "2", exact: true }).check({ force: true });
      const generate = page.getByRole("button", { name: "Generate · 20 credits" });
      await expect.poll(() => generate.isEnabled(), { timeout: 10_000 }).toBe(true);
      await generate.click();

      await visible(toast(page, "Superhero transformation complete!"), 60_000);
      const result = await visible(page.getByTestId("generation-result"));
      const variations = result.getByRole("group", { name: "Your variations" }).getByRole("button");
      await expect.poll(() => variations.count()).toBe(2);
      await expectCredits(page, 10);
      const after = result.getByAltText("Superhero portrait");
      const ratio = await after.evaluate((img: HTMLImageElement) => img.naturalWidth / img.naturalHeight);
      expect(ratio).toBeCloseTo(9 / 16, 1);
      await snapshot(page, "creative-variations");

      await variations.nth(1).click();
      expect(await variations.nth(1).getAttribute("aria-pressed")).toBe("true");
      await result.getByRole("button", { name: "Refine" }).click();
      await result.getByRole("textbox", { name: "What should change?" }).fill("make the mask gold");
      await result.getByRole("button", { name: "Refine · 10 credits" }).click();

      const refined = page.getByTestId("generation-result");
      const chain = await visible(refined.getByRole("navigation", { name: "Refinements" }), 60_000);
      await visible(chain.getByText(/Refined: make the mask gold/));
      const parentLink = chain.getByRole("link", { name: /First result/ });
      expect(await parentLink.getAttribute("href")).toMatch(/^\/gallery\/gen_/);
      await expectCredits(page, 0);
      // Out of credits now: two more variations are refused before any upload, with the reason and a way out.
      await visible(
        page.getByText(/You need 20 credits for this and have 0/).getByRole("link", { name: "Get credits" }),
      );

      await refined.getByRole("button", { name: "Share" }).click();
      const share = await visible(page.getByRole("dialog", { name: "Share your superhero" }));
      const consent = share.getByRole("checkbox", { name: /Show in the public gallery/ });
      expect(await consent.isChecked()).toBe(false);
      await consent.check();
      await share.getByRole("button", { name: "Create link" }).click();
      const link = await visible(share.getByRole("textbox", { name: "Share link" }));
      const shareUrl = await link.inputValue();
      expect(shareUrl).toMatch(new RegExp(`^${baseURL()}/s/[A-Za-z0-9_-]+$`));
      await snapshot(page, "creative-share");

      // Someone else, logged out: the API's own page shows the portrait, with a link preview pointing at it.
      const imageUrl = await withPage(browser(), async (visitor) => {
        const response = await visitor.goto(shareUrl);
        expect(response?.status()).toBe(200);
        const ogImage = await visitor.locator('meta[property="og:image"]').getAttribute("content");
        expect(ogImage).toMatch(/\/public\/[A-Za-z0-9_-]+\/image$/);
        const shown = visitor.locator("main img");
        await expect
          .poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
          .toBe(true);

        await visitor.goto("/explore");
        const card = await visible(
          visitor.getByRole("list", { name: "Shared superheroes" }).locator(`a[href="${shareUrl}"]`),
        );
        expect(await card.locator("img").getAttribute("src")).toBe(ogImage);
        return ogImage ?? "";
      });

      await share.getByRole("button", { name: "Stop sharing" }).click();
      await visible(toast(page, "Sharing stopped"));
      expect((await page.request.get(shareUrl)).status()).toBe(404);
      expect((await page.request.get(imageUrl)).status()).toBe(404);
    });
  });
});
