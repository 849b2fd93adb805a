import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type RunningBackend } from "./backend";
import {
  PORTRAIT,
  generateThroughApi,
  launchBrowser,
  logInThroughApi,
  registerThroughApi,
  visible,
  withPage,
} from "./helpers";

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(frontendDir, "..");

const GENERATIONS = 50;
const IMAGE_BUDGET_BYTES = 1_000_000;
const STYLES = ["superhero", "marvel", "dc"];

// Its own backend: fifty generations take more credits than a signup gives by default, and more than the default
// rate limit lets one account start in a minute. Unusual prices on purpose: the pages must show these, from the API.
const SETTINGS = { GENERATION_COST: "2", SIGNUP_CREDITS: String(GENERATIONS * 2), RATE_LIMIT_PER_MINUTE: "200" };

let browser: Browser;
let backend: RunningBackend;
let email: string;
/** Paths (without the signed query) of every stored image of the account, by kind. */
const stored = { thumbnails: new Set<string>(), fullSize: new Set<string>() };

interface GenerationJson {
  id: string;
  status: string;
  originalImageUrl: string;
  originalThumbnailUrl: string | null;
  generatedImageUrl: string | null;
  thumbnailUrl: string | null;
}

const pathOf = (url: string) => new URL(url, "http://x").pathname;

async function completedGenerations(context: BrowserContext): Promise<GenerationJson[]> {
  const all: GenerationJson[] = [];
  let cursor: string | null = null;
  do {
    const response = await context.request.get("/generations", {
      params: { status: "completed", limit: 100, ...(cursor ? { cursor } : {}) },
    });
    expect(response.status()).toBe(200);
    const page = (await response.json()) as { generations: GenerationJson[]; nextCursor: string | null };
    all.push(...page.generations);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

beforeAll(async () => {
  backend = await startBackend({ repoRoot, distDir: path.join(frontendDir, "dist"), env: SETTINGS });
  browser = await launchBrowser();

  // Fifty completed generations, made through the API as fast as the backend takes them.
  await withPage(
    browser,
    async (_page, context) => {
      email = await registerThroughApi(context, undefined, backend.baseURL);
      const portrait = { name: "portrait.jpg", mimeType: "image/jpeg", buffer: await readFile(PORTRAIT) };
      for (let started = 0; started < GENERATIONS; started += 1) {
        // A gallery of all three styles, as people make them.
        const style = STYLES[started % STYLES.length];
        const made = await generateThroughApi(context, portrait, { origin: backend.baseURL, style });
        expect(made.status, JSON.stringify(made.body)).toBe(202);
      }
      // (expect.poll works only inside a test.)
      let completed: GenerationJson[] = [];
      for (const deadline = Date.now() + 240_000; Date.now() < deadline;) {
        completed = await completedGenerations(context);
        if (completed.length === GENERATIONS) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(completed).toHaveLength(GENERATIONS);
      for (const generation of completed) {
        expect(generation.thumbnailUrl).toBeTruthy();
        expect(generation.originalThumbnailUrl).toBeTruthy();
        stored.thumbnails.add(pathOf(generation.thumbnailUrl ?? ""));
        stored.thumbnails.add(pathOf(generation.originalThumbnailUrl ?? ""));
        stored.fullSize.add(pathOf(generation.originalImageUrl));
        stored.fullSize.add(pathOf(generation.generatedImageUrl ?? ""));
      }
    },
    { origin: backend.baseURL },
  );
});

afterAll(async () => {
  await browser?.close();
  await backend?.stop();
});

interface Fetched {
  url: string;
  status: number;
  bytes: number;
}

/** Records every image response of `page` with the size of its body. */
function recordImages(page: Page) {
  const fetched: Fetched[] = [];
  const reading: Promise<void>[] = [];
  page.on("response", (response) => {
    if (response.request().resourceType() !== "image") return;
    reading.push(
      response.body().then(
        (body) => void fetched.push({ url: response.url(), status: response.status(), bytes: body.length }),
        () => void fetched.push({ url: response.url(), status: response.status(), bytes: Number.NaN }),
      ),
    );
  });
  return {
    fetched,
    settled: async () => {
      await Promise.all(reading);
      return fetched;
    },
  };
}

/** Scrolls to the end of the gallery, a screen at a time, until all of it is there and every picture is loaded. */
async function scrollThroughGallery(page: Page) {
  const cards = page.getByRole("list", { name: "Completed transformations" }).getByRole("listitem");
  await cards.first().waitFor();
  for (let round = 0; round < 200; round += 1) {
    const { atBottom } = await page.evaluate(() => {
      window.scrollBy(0, window.innerHeight * 0.8);
      return { atBottom: window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2 };
    });
    await page.waitForTimeout(150);
    if (atBottom && (await cards.count()) === GENERATIONS) break;
  }
  expect(await cards.count()).toBe(GENERATIONS);
  // Lazy pictures start loading as they come near the viewport: once scrolled past, every one must have loaded.
  await expect
    .poll(
      () =>
        cards
          .getByRole("img")
          .evaluateAll((images: HTMLImageElement[]) =>
            images.filter((image) => image.complete && image.naturalWidth > 0),
          )
          .then((loaded) => loaded.length),
      { timeout: 30_000 },
    )
    .toBe(GENERATIONS);
  await page.waitForLoadState("networkidle");
}

describe("a gallery of fifty portraits", () => {
  for (const viewport of [
    { label: "desktop", width: 1280, height: 800 },
    { label: "phone", width: 390, height: 844 },
  ]) {
    it(`loads at most 1 MB of images, thumbnails only, on a ${viewport.label} (${viewport.width}x${viewport.height})`, async () => {
      await withPage(
        browser,
        async (page, context) => {
          await logInThroughApi(context, email, backend.baseURL);
          const images = recordImages(page);
          await page.goto("/gallery");
          await scrollThroughGallery(page);
          const fetched = await images.settled();

          const total = fetched.reduce((sum, image) => sum + image.bytes, 0);
          const media = fetched.filter((image) => pathOf(image.url).startsWith("/media/"));
          console.log(
            `${viewport.label}: ${fetched.length} image responses, ${media.length} from /media/, ${total} bytes`,
          );
          expect(fetched.filter((image) => Number.isNaN(image.bytes) && image.status < 300)).toEqual([]);
          expect(media.filter((image) => stored.fullSize.has(pathOf(image.url))).map((image) => image.url)).toEqual([]);
          expect(media.filter((image) => !stored.thumbnails.has(pathOf(image.url))).map((image) => image.url)).toEqual(
            [],
          );
          expect(new Set(media.map((image) => pathOf(image.url))).size).toBe(GENERATIONS);
          // Last: what the page loads (thumbnails only) is the app's doing; how heavy a thumbnail is, the API's.
          const average = Math.round(total / Math.max(media.length, 1));
          expect(total, `${media.length} thumbnails of ${average} bytes on average`).toBeLessThanOrEqual(
            IMAGE_BUDGET_BYTES,
          );
        },
        { origin: backend.baseURL, width: viewport.width, height: viewport.height },
      );
    });
  }

  it("opens the large view with images that are never blurred", async () => {
    const { thumbnailSize } = (await (await fetch(`${backend.baseURL}/config`)).json()) as { thumbnailSize: number };
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      await withPage(
        browser,
        async (page, context) => {
          await logInThroughApi(context, email, backend.baseURL);
          await page.goto("/gallery");
          const cards = page.getByRole("list", { name: "Completed transformations" }).getByRole("listitem");
          await cards.first().getByRole("link").click();
          const dialog = await visible(page.getByRole("dialog", { name: /transformation/ }));
          for (const alt of ["Superhero portrait", "Original portrait"]) {
            const image = dialog.getByAltText(alt);
            await expect
              .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
              .toBe(true);
            const { chosen, slot } = await image.evaluate((img: HTMLImageElement) => ({
              chosen: img.currentSrc,
              slot: img.getBoundingClientRect().width * window.devicePixelRatio,
            }));
            // Never blurred: a thumbnail only where it covers the place the image takes; a wide place gets the
            // full image. (Where a thumbnail would do, the browser may still take the full one: `sizes` is an
            // estimate of the layout.)
            const where = `${viewport.width}px, ${alt} in ${slot}px: ${chosen}`;
            expect(stored.thumbnails.has(pathOf(chosen)) || stored.fullSize.has(pathOf(chosen)), where).toBe(true);
            if (stored.thumbnails.has(pathOf(chosen))) expect(slot, where).toBeLessThanOrEqual(thumbnailSize);
            if (slot > thumbnailSize) expect(stored.fullSize.has(pathOf(chosen)), where).toBe(true);
          }
        },
        { origin: backend.baseURL, width: viewport.width, height: viewport.height },
      );
    }
  });
});

describe("prices and limits", () => {
  it("are the API's settings, wherever the pages name them", async () => {
    await withPage(
      browser,
      async (page) => {
        await page.goto("/register");
        await visible(page.getByText(`${SETTINGS.SIGNUP_CREDITS} free credits`, { exact: true }));
        await page.goto("/pricing");
        await visible(page.getByText(`Every transformation uses ${SETTINGS.GENERATION_COST} credits.`));
        // Basic's 100 credits a month, at 2 credits a transformation.
        await visible(page.getByText("50 transformations a month", { exact: true }));
      },
      { origin: backend.baseURL },
    );
  });
});
