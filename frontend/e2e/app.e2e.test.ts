import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  PASSWORD,
  PORTRAIT,
  creditsCard,
  expectCredits,
  generateThroughApi,
  horizontalOverflow,
  sharedBrowser,
  makeAdminOfSharedBackend,
  portraitAsHeic,
  portraitAt12Megapixels,
  registerThroughApi,
  registerThroughUi,
  seriousA11yViolations,
  snapshot,
  faintPng,
  toast,
  uniqueEmail,
  visible,
  withPage as withPageAt,
} from "./helpers";

const BLANK_MESSAGE = "There is nothing to transform in this picture: it looks blank. Try a photo of a person.";
const generateButton = (page: Page) => page.getByRole("button", { name: "Generate · 10 credits" });

const browser = sharedBrowser();

function withPage<T>(run: (page: Page, context: BrowserContext) => Promise<T>, width?: number): Promise<T> {
  return withPageAt(browser(), run, { width });
}

async function generateInUi(page: Page, file: string | { name: string; mimeType: string; buffer: Buffer }) {
  await page.locator("#portrait-input").setInputFiles(file);
  const button = generateButton(page);
  await expect.poll(() => button.isEnabled(), { timeout: 10_000 }).toBe(true);
  await button.click();
}

describe("a new hero", () => {
  it("registers, transforms a portrait, finds it in the gallery and deletes it", async () => {
    await withPage(async (page) => {
      await registerThroughUi(page);
      await expectCredits(page, 30);
      await visible(creditsCard(page).getByText("Use for generations"));
      expect(await generateButton(page).isDisabled()).toBe(true);

      await generateInUi(page, PORTRAIT);
      await snapshot(page, "flow-generating");

      const done = toast(page, "Superhero transformation complete!");
      await visible(done, 60_000);
      await visible(done.getByText("20 credits remaining"));
      const result = await visible(page.getByTestId("generation-result"));
      const after = result.getByAltText("Superhero portrait");
      await expect
        .poll(() => after.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
        .toBe(true);
      await expectCredits(page, 20);
      await visible(page.getByRole("region", { name: "Recent Transformations" }).getByRole("link").first());
      await snapshot(page, "flow-completed");
      await result.scrollIntoViewIfNeeded();
      await snapshot(page, "flow-result");

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Gallery" }).click();
      await page.waitForURL("**/gallery");
      const cards = page.getByRole("list", { name: "Completed transformations" }).getByRole("listitem");
      await expect.poll(() => cards.count()).toBe(1);
      const thumbnail = cards.first().getByRole("img");
      expect(await thumbnail.getAttribute("loading")).toBe("lazy");

      await cards.first().getByRole("link").click();
      const dialog = await visible(page.getByRole("dialog", { name: /transformation/ }));
      await visible(dialog.getByRole("slider", { name: /Before and after comparison/ }));
      const download = dialog.getByRole("link", { name: "Download" });
      expect(await download.getAttribute("download")).toMatch(/^aivenger-gen_.*\.jpg$/);
      const href = await download.getAttribute("href");
      expect(href).toMatch(/^\/media\//);
      const image = await page.request.get(href ?? "");
      expect(image.status()).toBe(200);
      expect(image.headers()["content-type"]).toMatch(/^image\//);

      await dialog.getByRole("button", { name: "Delete" }).click();
      const confirm = await visible(page.getByRole("dialog", { name: "Delete this transformation?" }));
      await snapshot(page, "flow-confirm-delete");
      await confirm.getByRole("button", { name: "Delete forever" }).click();
      await visible(toast(page, "Transformation deleted"));
      await visible(page.getByRole("heading", { name: "No superheroes yet" }));
      expect(page.url()).toMatch(/\/gallery$/);
    });
  });
});

describe("a plain walk", () => {
  it("logs no errors, and takes the same photo again after a transformation", async () => {
    await withPage(async (page) => {
      // From the first signed-in page on: before that, asking who is signed in is answered 401 by design.
      await registerThroughUi(page);
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await page.reload();
      await generateInUi(page, PORTRAIT);
      await visible(page.getByTestId("generation-result"), 60_000);
      await expectCredits(page, 20);

      // The same file once more, from the dropzone still shown above the result.
      await page.locator("#portrait-input").setInputFiles(PORTRAIT);
      await visible(page.getByAltText("Preview of the selected portrait"));
      await expect.poll(() => generateButton(page).isEnabled(), { timeout: 10_000 }).toBe(true);

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Gallery" }).click();
      const cards = page.getByRole("list", { name: "Completed transformations" }).getByRole("listitem");
      await expect.poll(() => cards.count()).toBe(1);
      await cards.first().getByRole("link").click();
      const dialog = await visible(page.getByRole("dialog", { name: /transformation/ }));
      await dialog.getByRole("button", { name: "Delete" }).click();
      const confirm = await visible(page.getByRole("dialog", { name: "Delete this transformation?" }));
      await confirm.getByRole("button", { name: "Delete forever" }).click();
      await visible(page.getByRole("heading", { name: "No superheroes yet" }));

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
      await generateInUi(page, PORTRAIT);
      await visible(page.getByTestId("generation-result"), 60_000);
      await page.waitForLoadState("networkidle");
      expect(errors, errors.join("\n")).toEqual([]);
    });
  });
});

describe("on a phone", () => {
  async function inViewport(page: Page, locator: Locator): Promise<boolean> {
    const box = await locator.boundingBox();
    const viewport = page.viewportSize();
    if (!box || !viewport) return false;
    return box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width;
  }

  it("keeps Generate on screen once a photo is chosen, and shows the progress when it starts", async () => {
    await withPageAt(
      browser(),
      async (page) => {
        await registerThroughUi(page);
        await expectCredits(page, 30);
        const input = page.locator("#portrait-input");
        expect(await input.getAttribute("accept")).toMatch(/^image\/\*,/);
        expect(await input.getAttribute("capture")).toBeNull();

        const chooser = page.waitForEvent("filechooser");
        await page.getByRole("button", { name: "Choose a photo" }).click();
        await (await chooser).setFiles(PORTRAIT);
        await visible(page.getByAltText("Preview of the selected portrait"));
        const button = generateButton(page);
        await expect.poll(() => button.isEnabled(), { timeout: 10_000 }).toBe(true);
        expect(await inViewport(page, button)).toBe(true);
        // Nothing (a toast, say) lies over it either.
        const onTop = await button.evaluate((element) => {
          const box = element.getBoundingClientRect();
          const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
          return hit !== null && element.contains(hit);
        });
        expect(onTop).toBe(true);
        await snapshot(page, "phone-photo-chosen");

        await button.click();
        const progress = page.getByTestId("generation-progress");
        await expect.poll(() => inViewport(page, progress), { timeout: 10_000 }).toBe(true);
        await snapshot(page, "phone-progress");
        await visible(page.getByTestId("generation-result"), 60_000);
      },
      { width: 390, height: 844 },
    );
  });
});

describe("a 12-megapixel photo", () => {
  it("is scaled down in the browser before it is sent, and transformed", async () => {
    await withPage(async (page) => {
      await registerThroughUi(page);
      const original = portraitAt12Megapixels();
      expect(original.length).toBeGreaterThan(3 * 1024 * 1024);
      // What leaves the page: the photo in each POST /generations body (the browser keeps a file's bytes from
      // the page's request log, so they are read where the request is sent).
      await page.evaluate(() => {
        const sent: { name: string; type: string; size: number }[] = [];
        Object.assign(window, { sentPhotos: sent });
        const send = XMLHttpRequest.prototype.send;
        XMLHttpRequest.prototype.send = function (
          this: XMLHttpRequest,
          body?: Document | XMLHttpRequestBodyInit | null,
        ) {
          const image = body instanceof FormData ? body.get("image") : null;
          if (image instanceof File) sent.push({ name: image.name, type: image.type, size: image.size });
          send.call(this, body);
        };
      });
      await generateInUi(page, { name: "IMG_2048.jpg", mimeType: "image/jpeg", buffer: original });
      await visible(page.getByTestId("generation-result"), 60_000);
      const sent = await page.evaluate(
        () => (window as unknown as { sentPhotos: { name: string; type: string; size: number }[] }).sentPhotos,
      );
      expect(sent).toHaveLength(1);
      expect(sent[0]?.type).toBe("image/jpeg");
      expect(sent[0]?.size).toBeGreaterThan(0);
      expect(sent[0]?.size).toBeLessThan(1.5 * 1024 * 1024);
      await expectCredits(page, 20);
    });
  });
});

describe("running out of credits", () => {
  it("disables the button at 0 credits and shows the toast when the API refuses with 402", async () => {
    await withPage(async (page, context) => {
      await registerThroughUi(page);
      for (const remaining of [20, 10]) {
        await generateInUi(page, PORTRAIT);
        await visible(
          toast(page, "Superhero transformation complete!").getByText(`${remaining} credits remaining`),
          60_000,
        );
        await expectCredits(page, remaining);
        await page.getByRole("button", { name: "Create another" }).click();
        await page
          .locator("[data-sonner-toast] [data-close-button]")
          .first()
          .click()
          .catch(() => undefined);
      }

      // The third generation happens elsewhere (another tab, another device), so this page still shows 10.
      const third = await generateThroughApi(context, {
        name: "portrait.jpg",
        mimeType: "image/jpeg",
        buffer: await readFile(PORTRAIT),
      });
      expect(third.status).toBe(202);
      expect(third.body.remainingCredits).toBe(0);
      await expectCredits(page, 10);

      await generateInUi(page, PORTRAIT);
      const refused = await visible(toast(page, "Insufficient credits"));
      await visible(refused.getByText("You need 10 credits. Get a credit pack or a monthly plan to continue."));
      await snapshot(page, "flow-insufficient-credits");
      await expectCredits(page, 0);
      await refused.getByRole("button", { name: "Get credits" }).click();
      await page.waitForURL("**/pricing");
      await visible(page.getByRole("heading", { name: "Plans & pricing" }));

      await page.goto("/dashboard");
      await expectCredits(page, 0);
      await visible(creditsCard(page).getByRole("link", { name: "Get credits" }));
      await page.locator("#portrait-input").setInputFiles(PORTRAIT);
      await visible(page.getByAltText("Preview of the selected portrait"));
      expect(await generateButton(page).isDisabled()).toBe(true);
    });
  });
});

describe("a failed generation", () => {
  it("shows the model's message and can be removed from the gallery", async () => {
    await withPage(async (page) => {
      await registerThroughUi(page);
      await generateInUi(page, { name: "blank.png", mimeType: "image/png", buffer: faintPng(320, 320, [40, 90, 200]) });

      const failed = await visible(toast(page, "Generation Failed"), 60_000);
      await visible(failed.getByText(BLANK_MESSAGE));
      await visible(page.getByTestId("generation-error").getByText(BLANK_MESSAGE));
      await snapshot(page, "flow-failed");

      await page.goto("/gallery?status=failed");
      const cards = page.getByRole("list", { name: "Failed generations" }).getByRole("listitem");
      await expect.poll(() => cards.count()).toBe(1);
      await visible(cards.first().getByText(BLANK_MESSAGE));
      await cards.first().getByRole("button", { name: "Remove" }).click();
      const confirm = await visible(page.getByRole("dialog", { name: "Remove this failed generation?" }));
      await confirm.getByRole("button", { name: "Remove" }).click();
      await visible(page.getByRole("heading", { name: "No failed generations" }));
    });
  });
});

describe("an iPhone photo", () => {
  it("is accepted as HEIC, said to be unpreviewable here, and transformed", async () => {
    await withPage(async (page) => {
      await registerThroughUi(page);
      await page
        .locator("#portrait-input")
        .setInputFiles({ name: "IMG_0042.HEIC", mimeType: "image/heic", buffer: portraitAsHeic() });
      // Chromium cannot draw HEIC: the dropzone says so rather than showing a broken picture.
      await visible(page.getByText("Your browser can't preview this format, but it can still be transformed."));
      await generateButton(page).click();

      await visible(toast(page, "Superhero transformation complete!"), 60_000);
      const result = page.getByTestId("generation-result");
      for (const alt of ["Superhero portrait", "Original portrait"]) {
        const img = result.getByAltText(alt);
        await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
      }
      await expectCredits(page, 20);
    });
  });
});

describe("signing in and out", () => {
  it("sends a visitor to /login and back to where they were going", async () => {
    await withPage(async (page, context) => {
      const email = await registerThroughApi(context, uniqueEmail("returning"));
      await context.clearCookies();

      await page.goto("/gallery?status=failed");
      await page.waitForURL(/\/login\?next=/);
      expect(new URL(page.url()).searchParams.get("next")).toBe("/gallery?status=failed");

      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill("wrong password");
      await page.getByRole("button", { name: "Log in" }).click();
      await visible(page.getByRole("alert").getByText(/wrong email or password/i));

      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(/\/gallery\?status=failed$/);

      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/login/);
      await page.goto("/dashboard");
      await page.waitForURL(/\/login\?next=%2Fdashboard/);
    });
  });
});

describe("a new password", () => {
  it("is set on the account page, keeps this browser signed in, and is the one that logs in", async () => {
    await withPage(async (page) => {
      const email = await registerThroughUi(page, uniqueEmail("rekey"));
      await page.getByRole("link", { name: "Account" }).click();
      // This server sends no email: no buttons that could only fail.
      await visible(page.getByText(/This server sends no email, so it can't send a reset link/));
      expect(await page.getByRole("button", { name: "Email me a password link" }).count()).toBe(0);

      const form = page.getByRole("form", { name: "Change your password" });
      await form.getByLabel("Current password").fill(PASSWORD);
      await form.getByLabel("New password").fill("a-brand-new-secret");
      await form.getByRole("button", { name: "Change password" }).click();
      await visible(form.getByRole("status").getByText("you are still signed in here"));

      await page.reload();
      await visible(page.getByRole("heading", { name: "Your account", exact: true }));
      expect(new URL(page.url()).pathname).toBe("/account");

      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/login/);
      // The account page stays on screen until the login page's code has arrived (it has an "Email" too).
      await visible(page.getByRole("heading", { name: "Log in" }));
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill("a-brand-new-secret");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL((url) => url.pathname !== "/login");
    });
  });
});

describe("leaving", () => {
  it("deletes the account with its portraits, after which its login no longer works", async () => {
    await withPage(async (page, context) => {
      const email = await registerThroughUi(page, uniqueEmail("leaving"));
      const portrait = { name: "portrait.jpg", mimeType: "image/jpeg", buffer: await readFile(PORTRAIT) };
      const made = await generateThroughApi(context, portrait, { wait: 30 });
      expect(made.status).toBe(201);
      const resultUrl = (made.body.generation as { generatedImageUrl: string }).generatedImageUrl;
      expect((await context.request.get(resultUrl)).status()).toBe(200);

      await page.getByRole("link", { name: "Account" }).click();
      await page.getByRole("button", { name: "Delete my account" }).click();
      const dialog = page.getByRole("dialog", { name: "Delete your account for good?" });
      await visible(dialog.getByText("1 portrait, your uploaded photos and 20 credits"));
      await dialog.getByRole("button", { name: "Delete my account" }).click();

      await visible(toast(page, "Your account has been deleted"));
      await page.waitForURL((url) => url.pathname === "/");
      expect((await context.request.get(resultUrl)).status()).toBe(404);
      const login = await context.request.post("/auth/jwt/login", { form: { username: email, password: PASSWORD } });
      expect(login.status()).toBe(400);
    });
  });
});

describe("every page", () => {
  const shotsDir = process.env.E2E_SCREENSHOTS_DIR;
  if (shotsDir) mkdirSync(shotsDir, { recursive: true });

  const publicPages = [
    "/",
    "/login",
    "/register",
    "/forgot-password",
    "/reset-password?token=t",
    "/verify-email?token=t",
    "/pricing",
    "/explore",
  ];
  // The account is an administrator, so the operators' console (and its tab in the navigation) is checked too.
  const privatePages = [
    "/dashboard",
    "/gallery",
    "/gallery?status=failed",
    "/pricing",
    "/explore",
    "/account",
    "/account/billing",
    "/console",
    "/console/users",
  ];

  async function seedUser(context: BrowserContext) {
    const email = await registerThroughApi(context);
    makeAdminOfSharedBackend(email);
    const portrait = { name: "portrait.jpg", mimeType: "image/jpeg", buffer: await readFile(PORTRAIT) };
    const completed = await generateThroughApi(context, portrait, { wait: 30 });
    expect(completed.status).toBe(201);
    const blank = { name: "blank.png", mimeType: "image/png", buffer: faintPng(320, 320, [200, 200, 200]) };
    const failed = await generateThroughApi(context, blank, { wait: 30 });
    expect(failed.status).toBe(502);
    const me = (await (await context.request.get("/users/me")).json()) as { id: string };
    return { generationId: (completed.body.generation as { id: string }).id, userId: me.id };
  }

  // Stable names, so a new run overwrites the last one's pictures.
  function screenshotName(label: string, url: string): string {
    if (url === "/") return `${label}-home.png`;
    if (/^\/gallery\/gen_/.test(url) || /^\/console\/users\/./.test(url)) return `${label}.png`;
    return `${label}-${url.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "")}.png`;
  }

  async function check(page: Page, url: string, label: string) {
    await page.goto(url);
    await page.waitForLoadState("networkidle");
    await page.locator("main").waitFor();
    const violations = await seriousA11yViolations(page);
    expect(violations, `${label} ${url}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    const overflow = await horizontalOverflow(page);
    expect(overflow, `${label} ${url} overflows horizontally by ${overflow}px`).toBeLessThanOrEqual(0);
    if (shotsDir) {
      await page.screenshot({ path: path.join(shotsDir, screenshotName(label, url)), fullPage: true });
    }
  }

  for (const [label, width] of [
    ["desktop", 1280],
    ["phone", 390],
  ] as const) {
    it(`passes axe (no serious or critical violations) and fits the ${label} width`, async () => {
      await withPage(async (page) => {
        for (const url of publicPages) await check(page, url, `${label}-visitor`);
      }, width);
      await withPage(async (page, context) => {
        const { generationId, userId } = await seedUser(context);
        for (const url of privatePages) await check(page, url, `${label}-hero`);
        await check(page, `/gallery/${generationId}`, `${label}-hero-gallery-detail`);
        await check(page, `/console/users/${userId}`, `${label}-hero-console-user`);
      }, width);
    });
  }
});
