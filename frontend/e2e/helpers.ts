import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { makeAdmin } from "./backend";

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(frontendDir, "..");

export const fixture = (name: string) => path.resolve(repoRoot, "tests", "photos", name);
export const PORTRAIT = fixture("portrait-astronaut.jpg");
export const PASSWORD = "correct-horse-battery";

export const baseURL = () => inject("baseURL");

/** Makes an account of the shared backend an administrator, from the command line as an operator would. */
export function makeAdminOfSharedBackend(email: string): void {
  makeAdmin(repoRoot, inject("databaseURL"), email);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * One Chromium for a test file: launched before its tests and closed after them (this registers both hooks). Call it
 * at the file's top level; what it returns gives the browser inside the tests.
 */
export function sharedBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("The browser is launched before the tests: ask for it inside one.");
    return browser;
  };
}

/**
 * Runs `run` in a fresh browser context (its own cookies) at `origin` (the shared backend unless given), and
 * closes the context whatever happens.
 */
export async function withPage<T>(
  browser: Browser,
  run: (page: Page, context: BrowserContext) => Promise<T>,
  { origin = baseURL(), width = 1280, height = 900 }: { origin?: string; width?: number; height?: number } = {},
): Promise<T> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width, height }, acceptDownloads: true });
  context.setDefaultTimeout(20_000);
  try {
    return await run(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

let counter = 0;
export function uniqueEmail(label: string): string {
  counter += 1;
  return `${label}-${Date.now()}-${process.pid}-${counter}@example.com`;
}

export async function visible(locator: Locator, timeout?: number): Promise<Locator> {
  await locator.waitFor({ state: "visible", ...(timeout ? { timeout } : {}) });
  return locator;
}

export async function registerThroughUi(page: Page, email = uniqueEmail("hero")): Promise<string> {
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/dashboard");
  return email;
}

/**
 * Signs a context in without the UI, for tests about something else. Cookie writes need an Origin: the shared
 * backend's, unless the context talks to another (`origin`).
 */
export async function registerThroughApi(
  context: BrowserContext,
  email = uniqueEmail("api"),
  origin = baseURL(),
): Promise<string> {
  const register = await context.request.post("/auth/register", { data: { email, password: PASSWORD } });
  expect(register.status()).toBe(201);
  await logInThroughApi(context, email, origin);
  return email;
}

export async function logInThroughApi(context: BrowserContext, email: string, origin = baseURL()): Promise<void> {
  const login = await context.request.post("/auth/cookie/login", {
    form: { username: email, password: PASSWORD },
    headers: { Origin: origin },
  });
  expect(login.status()).toBe(204);
}

export async function generateThroughApi(
  context: BrowserContext,
  image: { name: string; mimeType: string; buffer: Buffer },
  { wait = 0, origin = baseURL(), style = "superhero" }: { wait?: number; origin?: string; style?: string } = {},
) {
  const response = await context.request.post("/generations", {
    multipart: { image, style },
    headers: { Origin: origin, ...(wait ? { Prefer: `wait=${wait}` } : {}) },
  });
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

export function creditsCard(page: Page): Locator {
  return page.getByTestId("credits-card");
}

export async function expectCredits(page: Page, credits: number) {
  await expect
    .poll(() => creditsCard(page).locator("p").first().textContent(), { timeout: 20_000 })
    .toBe(String(credits));
}

export function toast(page: Page, title: string): Locator {
  return page.locator("[data-sonner-toast]").filter({ hasText: title });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = require.resolve("axe-core/axe.min.js");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page; returns the violations a person would trip over (serious or critical). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated rather than added as a <script>: the SPA's Content-Security-Policy refuses inline scripts, as it
  // should, and the browser's own evaluation is not subject to it.
  await page.evaluate(readFileSync(AXE_SOURCE, "utf8"));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({ target: node.target, failureSummary: node.failureSummary })),
    }));
  });
  return violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
}

/** With E2E_SCREENSHOTS_DIR set, keeps a picture of the moment for people to look at; otherwise does nothing. */
export async function snapshot(page: Page, name: string, { fullPage = false } = {}): Promise<void> {
  const dir = process.env.E2E_SCREENSHOTS_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.waitForTimeout(500); // let toasts finish sliding in
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage });
}

export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid PNG of one flat colour: a picture with nothing in it to transform. */
/** The portrait as an iPhone would send it: HEIC, written by the backend's own pillow-heif. */
export function portraitAsHeic(): Buffer {
  const script = [
    "import io, sys",
    "import pillow_heif",
    "from PIL import Image",
    "pillow_heif.register_heif_opener()",
    "buf = io.BytesIO()",
    "Image.open(sys.argv[1]).save(buf, format='HEIF')",
    "sys.stdout.buffer.write(buf.getvalue())",
  ].join("\n");
  const made = spawnSync(path.join(repoRoot, ".venv", "bin", "python"), ["-c", script, PORTRAIT], {
    maxBuffer: 20 * 1024 * 1024,
  });
  if (made.status !== 0) throw new Error(`Could not write a HEIC portrait: ${made.stderr.toString()}`);
  return made.stdout;
}

/**
 * The portrait as a 12-megapixel phone camera would send it (4000×3000, with sensor-like grain), written by the
 * backend's own Pillow: a few megabytes.
 */
export function portraitAt12Megapixels(): Buffer {
  const script = [
    "import io, sys",
    "from PIL import Image",
    "big = Image.open(sys.argv[1]).convert('RGB').resize((4000, 3000))",
    "grain = Image.effect_noise((4000, 3000), 60).convert('RGB')",
    "buf = io.BytesIO()",
    "Image.blend(big, grain, 0.15).save(buf, format='JPEG', quality=92)",
    "sys.stdout.buffer.write(buf.getvalue())",
  ].join("\n");
  const made = spawnSync(path.join(repoRoot, ".venv", "bin", "python"), ["-c", script, PORTRAIT], {
    maxBuffer: 50 * 1024 * 1024,
  });
  if (made.status !== 0) throw new Error(`Could not write a 12 MP portrait: ${made.stderr.toString()}`);
  return made.stdout;
}

/**
 * A picture with barely any detail: a ramp of twelve shades over one colour. Uploads accept it (a blank one they
 * refuse before charging); the offline model finds too little in it and fails the generation.
 */
export function faintPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) {
    const shade = Math.floor((x * 12) / width);
    row.set([r + shade, g + shade, b + shade], 1 + x * 3);
  }
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
