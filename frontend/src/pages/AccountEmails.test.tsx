import { screen } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { renderApp } from "../test/renderApp";
import { configHandler, errorBody, server, signedInHandlers, signedOutHandlers, url, user } from "../test/server";

describe("a forgotten password", () => {
  it("is reached from the login page and asks the API to email a link", async () => {
    const asked: unknown[] = [];
    server.use(
      ...signedOutHandlers,
      http.post(url("/auth/forgot-password"), async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json(null, { status: 202 });
      }),
    );
    const app = renderApp("/login");
    await app.user.click(await screen.findByRole("link", { name: "Forgot your password?" }));
    expect(await screen.findByRole("heading", { name: "Forgot your password?" })).toBeInTheDocument();

    await app.user.type(screen.getByLabelText("Email"), "  storm@example.com ");
    await app.user.click(screen.getByRole("button", { name: "Email me a link" }));

    expect(await screen.findByRole("status")).toHaveTextContent("If an account exists for storm@example.com");
    expect(asked).toEqual([{ email: "storm@example.com" }]);
    expect(screen.queryByLabelText("Email")).not.toBeInTheDocument();
  });

  it("sets a new password with the emailed token, then sends the person to log in", async () => {
    const sent: unknown[] = [];
    server.use(
      ...signedOutHandlers,
      http.post(url("/auth/reset-password"), async ({ request }) => {
        sent.push(await request.json());
        return HttpResponse.json({ id: "x" });
      }),
    );
    const app = renderApp("/reset-password?token=tok.en.value");
    await app.user.type(await screen.findByLabelText("New password"), "brand-new-secret");
    await app.user.click(screen.getByRole("button", { name: "Save new password" }));

    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(await screen.findByText("Password changed")).toBeInTheDocument();
    expect(sent).toEqual([{ token: "tok.en.value", password: "brand-new-secret" }]);
  });

  it("shows the API's sentence for an expired link and offers a new one", async () => {
    server.use(
      ...signedOutHandlers,
      http.post(url("/auth/reset-password"), () =>
        HttpResponse.json(errorBody("This password reset link is invalid or has expired.", "BAD_REQUEST"), {
          status: 400,
        }),
      ),
    );
    const app = renderApp("/reset-password?token=old");
    await app.user.type(await screen.findByLabelText("New password"), "brand-new-secret");
    await app.user.click(screen.getByRole("button", { name: "Save new password" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("This password reset link is invalid or has expired.");
    expect(screen.getByRole("link", { name: "Ask for a new one" })).toHaveAttribute("href", "/forgot-password");
    expect(app.router.state.location.pathname).toBe("/reset-password");
  });

  it("explains a link without its token instead of showing a form that cannot work", async () => {
    server.use(...signedOutHandlers);
    renderApp("/reset-password");
    expect(await screen.findByRole("alert")).toHaveTextContent("This link is incomplete.");
    expect(screen.queryByLabelText("New password")).not.toBeInTheDocument();
  });
});

describe("confirming an email address", () => {
  it("asks from the account page, then confirms with a click on the emailed link's page", async () => {
    const unverified = { ...user, is_verified: false };
    let verified = false;
    const requested: unknown[] = [];
    const confirmed: unknown[] = [];
    server.use(
      configHandler({ sendsEmail: true }),
      http.get(url("/users/me"), () => HttpResponse.json({ ...unverified, is_verified: verified })),
      ...signedInHandlers(),
      http.post(url("/auth/request-verify-token"), async ({ request }) => {
        requested.push(await request.json());
        return HttpResponse.json(null, { status: 202 });
      }),
      http.post(url("/auth/verify"), async ({ request }) => {
        confirmed.push(await request.json());
        verified = true;
        return HttpResponse.json({ ...unverified, is_verified: true });
      }),
    );
    const app = renderApp("/account");
    expect(await screen.findByText(`${user.email} is not confirmed yet.`, { exact: false })).toBeInTheDocument();
    await app.user.click(screen.getByRole("button", { name: "Email me a confirmation link" }));
    expect(await screen.findByRole("status")).toHaveTextContent(`open the link in the email to ${user.email}`);
    expect(requested).toEqual([{ email: user.email }]);

    await app.router.navigate("/verify-email?token=verify.me");
    await app.user.click(await screen.findByRole("button", { name: "Confirm my email" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Your email address is confirmed.");
    expect(confirmed).toEqual([{ token: "verify.me" }]);

    await app.user.click(screen.getByRole("link", { name: "Back to your account" }));
    expect(await screen.findByText(`${user.email} is confirmed.`, { exact: false })).toBeInTheDocument();
  });

  it("says so when the server sends no email", async () => {
    server.use(
      ...signedOutHandlers,
      http.post(url("/auth/forgot-password"), () =>
        HttpResponse.json(
          errorBody(
            "This server does not send email, so password resets are not available here.",
            "SERVICE_UNAVAILABLE",
          ),
          { status: 503 },
        ),
      ),
    );
    const app = renderApp("/forgot-password");
    await app.user.type(await screen.findByLabelText("Email"), "storm@example.com");
    await app.user.click(screen.getByRole("button", { name: "Email me a link" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This server does not send email");
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });
});
