import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type RunningBackend } from "./backend";
import { PASSWORD, launchBrowser, toast, uniqueEmail, visible } from "./helpers";
import { decodeQuotedPrintable, startMailbox, type Mailbox } from "./mailbox";

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(frontendDir, "..");
const NEW_PASSWORD = "a-whole-new-secret";

// Its own backend, configured to send mail to a real SMTP server that this test reads.
let browser: Browser;
let mailbox: Mailbox;
let backend: RunningBackend;

beforeAll(async () => {
  mailbox = await startMailbox(repoRoot);
  backend = await startBackend({
    repoRoot,
    distDir: path.join(frontendDir, "dist"),
    env: { SMTP_URL: mailbox.smtpUrl, MAIL_FROM: "AIVenger <no-reply@example.com>" },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await backend?.stop();
  await mailbox?.stop();
});

describe("a forgotten password", () => {
  it("is reset through the emailed link, and the new password logs in", async () => {
    const context = await browser.newContext({ baseURL: backend.baseURL });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    try {
      const email = uniqueEmail("forgetful");
      const registered = await context.request.post("/auth/register", { data: { email, password: PASSWORD } });
      expect(registered.status()).toBe(201);

      await page.goto("/login");
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await page.getByLabel("Email").fill(email);
      await page.getByRole("button", { name: "Email me a link" }).click();
      await visible(page.getByRole("status").getByText(/If an account exists for/));

      let link = "";
      await expect
        .poll(
          () => {
            const found = decodeQuotedPrintable(mailbox.received()).match(/http\S+\/reset-password\?token=\S+/);
            link = found ? found[0] : "";
            return link;
          },
          { timeout: 20_000 },
        )
        .not.toBe("");
      expect(mailbox.received()).toContain(`To: ${email}`);
      expect(link.startsWith(`${backend.baseURL}/reset-password?token=`)).toBe(true);

      await page.goto(link);
      await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Save new password" }).click();
      await visible(toast(page, "Password changed"));
      await page.waitForURL(/\/login$/);

      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await visible(page.getByRole("alert").getByText(/wrong email or password/i));

      await page.getByLabel("Password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(/\/dashboard$/);
    } finally {
      await context.close();
    }
  });
});
