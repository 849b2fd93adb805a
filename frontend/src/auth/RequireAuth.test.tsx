import { screen, waitFor } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { queryKeys } from "../api/queries";
import { renderApp } from "../test/renderApp";
import { errorBody, server, signedInHandlers, signedOutHandlers, url, user } from "../test/server";
import { safeNextPath } from "./redirects";

describe("pages behind login", () => {
  it("send a visitor to /login, remembering where they were going", async () => {
    server.use(...signedOutHandlers);
    const app = renderApp("/gallery?status=failed");
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/login");
    expect(new URLSearchParams(app.router.state.location.search).get("next")).toBe("/gallery?status=failed");
  });

  it("log in and continue to the remembered page", async () => {
    let signedIn = false;
    server.use(
      http.get(url("/users/me"), () =>
        signedIn
          ? HttpResponse.json(user)
          : HttpResponse.json(errorBody("Unauthorized", "UNAUTHORIZED"), { status: 401 }),
      ),
      http.post(url("/auth/cookie/login"), async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        if (form.get("username") !== user.email || form.get("password") !== "s3cret-pass") {
          return HttpResponse.json(errorBody("Wrong email or password.", "BAD_REQUEST"), { status: 400 });
        }
        signedIn = true;
        return new HttpResponse(null, { status: 204 });
      }),
      ...signedInHandlers().slice(1),
    );
    const app = renderApp("/login?next=%2Fgallery");
    await screen.findByRole("heading", { name: "Log in" });

    await app.user.type(screen.getByLabelText("Email"), user.email);
    await app.user.type(screen.getByLabelText("Password"), "wrong");
    await app.user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");

    await app.user.clear(screen.getByLabelText("Password"));
    await app.user.type(screen.getByLabelText("Password"), "s3cret-pass");
    await app.user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("heading", { name: "Gallery" })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/gallery");
  });

  it("send the person to /login when any API call answers 401 (the session expired)", async () => {
    server.use(
      http.get(url("/generations"), () =>
        HttpResponse.json(errorBody("Unauthorized", "UNAUTHORIZED"), { status: 401 }),
      ),
      ...signedInHandlers(),
    );
    const app = renderApp("/gallery");
    await screen.findByRole("heading", { name: "Log in" });
    await waitFor(() => expect(app.router.state.location.pathname).toBe("/login"));
    expect(new URLSearchParams(app.router.state.location.search).get("next")).toBe("/gallery");
  });
});

describe("an outage", () => {
  it("signs nobody out: the page stays, says it is reconnecting, and carries on once the API is back", async () => {
    let reachable = true;
    server.use(
      http.get(url("/users/me"), () => (reachable ? HttpResponse.json(user) : HttpResponse.error())),
      ...signedInHandlers().slice(1),
    );
    const app = renderApp("/gallery");
    await screen.findByRole("heading", { name: "Gallery" });

    reachable = false;
    void app.queryClient.invalidateQueries({ queryKey: queryKeys.me });
    expect(await screen.findByText("Reconnecting…")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Gallery" })).toBeInTheDocument();
    expect(screen.queryByText("Something went wrong")).not.toBeInTheDocument();

    reachable = true;
    await waitFor(() => expect(screen.queryByText("Reconnecting…")).not.toBeInTheDocument(), { timeout: 5000 });
    expect(screen.getByRole("heading", { name: "Gallery" })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/gallery");
  });

  it("on opening a page waits for the API rather than failing", async () => {
    let reachable = false;
    server.use(
      http.get(url("/users/me"), () =>
        reachable ? HttpResponse.json(user) : new HttpResponse("Bad Gateway", { status: 502 }),
      ),
      ...signedInHandlers().slice(1),
    );
    const app = renderApp("/gallery");
    expect(await screen.findByText("Reconnecting…")).toBeInTheDocument();
    expect(screen.getByText("Checking your hero credentials…")).toBeInTheDocument();

    reachable = true;
    expect(await screen.findByRole("heading", { name: "Gallery" }, { timeout: 5000 })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/gallery");
  });
});

describe("safeNextPath", () => {
  it.each([
    ["/gallery?status=failed", "/gallery?status=failed"],
    ["https://evil.example/", "/dashboard"],
    ["//evil.example/", "/dashboard"],
    ["/\\evil.example", "/dashboard"],
    ["/login?next=/x", "/dashboard"],
    [null, "/dashboard"],
  ])("%j -> %j", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});
