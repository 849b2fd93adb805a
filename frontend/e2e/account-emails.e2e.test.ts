import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type RunningBackend } from "./backend";
import { PASSWORD, launchBrowser, registerThroughUi, toast, uniqueEmail, visible, withPage } from "./helpers";
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

/** The first link to `page` in the mail received so far, once it has arrived. */
async function linkInMail(page: string): Promise<string> {
  const pattern = new RegExp(`http\\S+/${page}\\?token=\\S+`);
  let link = "";
  await expect
    .poll(
      () => {
        link = decodeQuotedPrintable(mailbox.received()).match(pattern)?.[0] ?? "";
        return link;
      },
      { timeout: 20_000 },
    )
    .not.toBe("");
  return link;
}

describe("a forgotten password", () => {
  it("is reset through the emailed link, and the new password logs in", async () => {
    await withPage(
      browser,
      async (page, context) => {
        const email = uniqueEmail("forgetful");
        const registered = await context.request.post("/auth/register", { data: { email, password: PASSWORD } });
        expect(registered.status()).toBe(201);

        await page.goto("/login");
        await page.getByRole("link", { name: "Forgot your password?" }).click();
        // The login page, with an Email field of its own, stays on screen until this page's code has arrived.
        await visible(page.getByRole("heading", { name: "Forgot your password?" }));
        await page.getByLabel("Email").fill(email);
        await page.getByRole("button", { name: "Email me a link" }).click();
        await visible(page.getByRole("status").getByText(/If an account exists for/));

        const link = await linkInMail("reset-password");
        expect(mailbox.received()).toContain(`To: ${email}`);
        expect(link.startsWith(`${backend.baseURL}/reset-password?token=`)).toBe(true);

        await page.goto(link);
        await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
        await page.getByRole("button", { name: "Save new password" }).click();
        await visible(toast(page, "Password changed"));
        await page.waitForURL(/\/login$/);
        await visible(page.getByRole("heading", { name: "Log in" }));

        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password").fill(PASSWORD);
        await page.getByRole("button", { name: "Log in" }).click();
        await visible(page.getByRole("alert").getByText(/wrong email or password/i));

        await page.getByLabel("Password").fill(NEW_PASSWORD);
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(/\/dashboard$/);
      },
      { origin: backend.baseURL },
    );
  });
});

describe("an email address", () => {
  it("is confirmed through the link emailed from the account page", async () => {
    await withPage(
      browser,
      async (page) => {
        const email = await registerThroughUi(page, uniqueEmail("confirming"));
        await page.getByRole("link", { name: "Account" }).click();
        await page.getByRole("button", { name: "Email me a confirmation link" }).click();
        await visible(page.getByRole("status").getByText(`open the link in the email to ${email}`));

        const link = await linkInMail("verify-email");
        expect(mailbox.received()).toContain(`To: ${email}`);
        await page.goto(link);
        await page.getByRole("button", { name: "Confirm my email" }).click();
        await visible(page.getByRole("status").getByText("Your email address is confirmed."));

        await page.getByRole("link", { name: "Back to your account" }).click();
        await visible(page.getByText(`${email} is confirmed.`));
      },
      { origin: backend.baseURL },
    );
  });
});
