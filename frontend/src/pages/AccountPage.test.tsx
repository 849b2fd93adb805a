import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { renderApp } from "../test/renderApp";
import { configHandler, errorBody, server, signedInHandlers, stats, url, user } from "../test/server";

function signedInWith(totalGenerations: number) {
  server.use(
    // The first matching handler answers, so the stats with generations go before the fresh account's.
    http.get(url("/user/stats"), () => HttpResponse.json(stats({ credits: 20, totalGenerations }))),
    ...signedInHandlers({ credits: 20 }),
  );
}

describe("the account page", () => {
  it("is reached from the header and emails a password link to the signed-in address", async () => {
    signedInWith(1);
    const asked: unknown[] = [];
    server.use(
      configHandler({ sendsEmail: true }),
      http.post(url("/auth/forgot-password"), async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json(null, { status: 202 });
      }),
    );
    const app = renderApp("/dashboard");
    await app.user.click(await screen.findByRole("link", { name: "Account" }));
    expect(await screen.findByRole("heading", { name: "Your account" })).toBeInTheDocument();
    expect(await screen.findByText(/with 20 credits/)).toBeInTheDocument();

    // Offered once the client config says this server sends email: it may come after the account itself.
    await app.user.click(await screen.findByRole("button", { name: "Email me a password link" }));

    expect(await screen.findByRole("status")).toHaveTextContent(`check the inbox of ${user.email}`);
    expect(asked).toEqual([{ email: user.email }]);
  });

  it("deletes the account only after confirmation, then leaves the person signed out on the home page", async () => {
    signedInWith(3);
    let deletes = 0;
    server.use(
      http.delete(url("/users/me"), () => {
        deletes += 1;
        return HttpResponse.json({ success: true });
      }),
    );
    const app = renderApp("/account");
    await app.user.click(await screen.findByRole("button", { name: "Delete my account" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete your account for good?" });
    expect(dialog).toHaveTextContent("3 portraits, your uploaded photos and 20 credits will be deleted");

    await app.user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(deletes).toBe(0);

    await app.user.click(screen.getByRole("button", { name: "Delete my account" }));
    const again = await screen.findByRole("dialog", { name: "Delete your account for good?" });
    server.use(
      http.get(url("/users/me"), () => HttpResponse.json(errorBody("Unauthorized", "UNAUTHORIZED"), { status: 401 })),
    );
    await app.user.click(within(again).getByRole("button", { name: "Delete my account" }));

    expect(await screen.findByText("Your account has been deleted")).toBeInTheDocument();
    expect(deletes).toBe(1);
    expect(app.router.state.location.pathname).toBe("/");
    await waitFor(() => expect(screen.queryByRole("link", { name: "Account" })).not.toBeInTheDocument());
    expect(within(screen.getByRole("banner")).getByRole("link", { name: "Log in" })).toBeInTheDocument();
  });

  it("keeps the account and says why when the API refuses", async () => {
    signedInWith(0);
    server.use(
      http.delete(url("/users/me"), () =>
        HttpResponse.json(errorBody("Storage is unavailable, try again later.", "SERVICE_UNAVAILABLE"), {
          status: 503,
        }),
      ),
    );
    const app = renderApp("/account");
    await app.user.click(await screen.findByRole("button", { name: "Delete my account" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete your account for good?" });
    await app.user.click(within(dialog).getByRole("button", { name: "Delete my account" }));

    expect(await screen.findByText("Couldn't delete your account")).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/account");
  });

  it("says the server sends no email instead of offering emailed links", async () => {
    server.use(
      configHandler({ sendsEmail: false }),
      http.get(url("/users/me"), () => HttpResponse.json({ ...user, is_verified: false })),
    );
    signedInWith(0);
    renderApp("/account");
    expect(
      await screen.findByText(/this server sends no email, so addresses aren't confirmed here/),
    ).toBeInTheDocument();
    expect(screen.getByText(/This server sends no email, so it can't send a reset link/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Email me a confirmation link" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Email me a password link" })).not.toBeInTheDocument();
  });

  it("changes the password with the current one, then signs in again with the new one", async () => {
    signedInWith(0);
    const changes: unknown[] = [];
    const logins: string[] = [];
    server.use(
      http.patch(url("/users/me"), async ({ request }) => {
        changes.push(await request.json());
        return HttpResponse.json(user);
      }),
      http.post(url("/auth/cookie/login"), async ({ request }) => {
        logins.push(await request.text());
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const app = renderApp("/account");
    const form = await screen.findByRole("form", { name: "Change your password" });
    await app.user.type(within(form).getByLabelText("Current password"), "old-secret-1");
    await app.user.type(within(form).getByLabelText("New password"), "new-secret-22");
    await app.user.click(within(form).getByRole("button", { name: "Change password" }));

    expect(await within(form).findByRole("status")).toHaveTextContent("you are still signed in here");
    expect(changes).toEqual([{ password: "new-secret-22", current_password: "old-secret-1" }]);
    expect(logins).toHaveLength(1);
    const login = new URLSearchParams(logins[0]);
    expect(login.get("username")).toBe(user.email);
    expect(login.get("password")).toBe("new-secret-22");
    expect(within(form).getByLabelText("Current password")).toHaveValue("");
    expect(app.router.state.location.pathname).toBe("/account");
  });

  it("says so when the current password is wrong, and changes nothing", async () => {
    signedInWith(0);
    let loggedIn = false;
    server.use(
      http.patch(url("/users/me"), () =>
        HttpResponse.json(
          errorBody(
            "To change your email or password, give your current password as current_password.",
            "UPDATE_USER_INVALID_PASSWORD",
          ),
          { status: 400 },
        ),
      ),
      http.post(url("/auth/cookie/login"), () => {
        loggedIn = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const app = renderApp("/account");
    const form = await screen.findByRole("form", { name: "Change your password" });
    await app.user.type(within(form).getByLabelText("Current password"), "not-it-at-all");
    await app.user.type(within(form).getByLabelText("New password"), "new-secret-22");
    await app.user.click(within(form).getByRole("button", { name: "Change password" }));

    expect(await within(form).findByRole("alert")).toHaveTextContent("That isn't your current password.");
    expect(loggedIn).toBe(false);
  });

  it("sends the person to log in when signing in again with the new password fails", async () => {
    signedInWith(0);
    server.use(
      http.patch(url("/users/me"), () => HttpResponse.json(user)),
      http.post(url("/auth/cookie/login"), () =>
        HttpResponse.json(errorBody("Too many login attempts.", "RATE_LIMITED"), { status: 429 }),
      ),
    );
    const app = renderApp("/account");
    const form = await screen.findByRole("form", { name: "Change your password" });
    await app.user.type(within(form).getByLabelText("Current password"), "old-secret-1");
    await app.user.type(within(form).getByLabelText("New password"), "new-secret-22");
    await app.user.click(within(form).getByRole("button", { name: "Change password" }));

    await waitFor(() => expect(app.router.state.location.pathname).toBe("/login"));
    expect(await screen.findByText("Log in with your new password.")).toBeInTheDocument();
  });
});
