import { act, screen, waitFor } from "@testing-library/react";
import { delay, http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { renderApp } from "../test/renderApp";
import { clientConfig, configHandler, server, signedInHandlers, signedOutHandlers, url, user } from "../test/server";

// Numbers the backend's defaults never have, so whatever shows them can only have taken them from GET /config.
const prices = { generationCost: 7, signupCredits: 21 };

const configNeverAnswering = http.get(url("/config"), async () => {
  await delay("infinite");
  return HttpResponse.json(clientConfig);
});

describe("the prices a visitor reads", () => {
  it("on the home page come from the API", async () => {
    server.use(...signedOutHandlers, configHandler(prices));
    renderApp("/");
    expect(await screen.findByRole("link", { name: "Get 21 free credits" })).toHaveAttribute("href", "/register");
    expect(screen.getByText(/Your first three transformations are on us\./)).toHaveTextContent(
      /a movie-poster finish\. Your first three transformations are on us\.$/,
    );
    expect(screen.getByText("A clear portrait: JPEG, PNG, WebP or HEIC, iPhone photos included.")).toBeInTheDocument();
  });

  it("on the register page come from the API", async () => {
    server.use(...signedOutHandlers, configHandler({ ...prices, signupCredits: 70 }));
    renderApp("/register");
    expect(await screen.findByText(/enough for ten superhero transformations\./)).toHaveTextContent(
      "Get 70 free credits: enough for ten superhero transformations.",
    );
  });

  it("on the login page come from the API", async () => {
    server.use(...signedOutHandlers, configHandler(prices));
    renderApp("/login");
    expect(await screen.findByText(/and get 21 free credits\./)).toBeInTheDocument();
  });

  it("on the pricing page come from the API: signup credits, and what each plan's credits buy", async () => {
    server.use(...signedOutHandlers, configHandler(prices));
    renderApp("/pricing");
    expect(await screen.findByText("Every transformation uses 7 credits.", { exact: false })).toBeInTheDocument();
    expect(screen.getByText("21 credits on signup")).toBeInTheDocument();
    expect(screen.getByText("3 superhero transformations")).toBeInTheDocument();
    // 100 and 300 credits a month, at 7 credits a transformation.
    expect(screen.getByText("14 transformations a month")).toBeInTheDocument();
    expect(screen.getByText("42 transformations a month")).toBeInTheDocument();
  });

  it("are left out while the API's settings load, rather than shown wrong", async () => {
    server.use(...signedOutHandlers, configNeverAnswering);
    const app = renderApp("/pricing");
    expect(await screen.findByText("Free credits on signup")).toBeInTheDocument();
    expect(screen.getByText("Superhero transformations")).toBeInTheDocument();
    expect(await screen.findAllByText("Transformations every month")).toHaveLength(2);
    expect(screen.queryByText(/uses \d+ credits/)).not.toBeInTheDocument();

    await act(() => app.router.navigate("/"));
    expect(await screen.findByRole("link", { name: "Get free credits" })).toBeInTheDocument();
    expect(screen.getByText(/Your first transformations are on us\./)).toBeInTheDocument();

    await act(() => app.router.navigate("/login"));
    expect(await screen.findByText(/and get free credits\./)).toBeInTheDocument();
  });

  it("are asked for once a session, however many pages use them", async () => {
    let asked = 0;
    server.use(
      ...signedOutHandlers,
      http.get(url("/config"), () => {
        asked += 1;
        return HttpResponse.json({ ...clientConfig, ...prices });
      }),
    );
    const app = renderApp("/pricing");
    await screen.findByText("21 credits on signup");
    for (const path of ["/", "/login", "/register", "/pricing"]) await act(() => app.router.navigate(path));
    await screen.findByText("21 credits on signup");
    await waitFor(() => expect(asked).toBe(1));
  });
});

describe("the welcome toast", () => {
  it("names the API's signup credits", async () => {
    server.use(
      ...signedOutHandlers,
      configHandler(prices),
      http.post(url("/auth/register"), () => HttpResponse.json(user, { status: 201 })),
      http.post(url("/auth/cookie/login"), () => {
        server.use(...signedInHandlers({ credits: 21 }));
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const app = renderApp("/register");
    await screen.findByText("21 free credits", { selector: "strong" });
    await app.user.type(screen.getByLabelText("Email"), user.email);
    await app.user.type(screen.getByLabelText("Password"), "s3cret-password");
    await app.user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("21 free credits are waiting for you.")).toBeInTheDocument();
  });
});
