import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Billing } from "../api/types";
import { formatMoney } from "../lib/format";
import { renderApp } from "../test/renderApp";
import { errorBody, ledgerEntry, server, signedInHandlers, signedOutHandlers, url } from "../test/server";

const card = (name: string) => screen.getByRole("listitem", { name });

/** Sends `window.location.assign` nowhere, so leaving for a payment page can be watched. */
function stubAssign() {
  const assign = vi.fn();
  vi.stubGlobal("location", { ...window.location, assign });
  return assign;
}

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

function signedInWithPlan(plan: Billing["plan"]) {
  server.use(
    http.get(url("/billing"), () => HttpResponse.json({ credits: 130, plan } satisfies Billing)),
    ...signedInHandlers({ credits: 130 }),
  );
}

describe("the pricing page", () => {
  it("shows the API's plans: prices, credits, the priority mark and a contact link", async () => {
    server.use(...signedOutHandlers);
    renderApp("/pricing");

    const basic = await screen.findByRole("listitem", { name: "Basic" });
    expect(within(basic).getByText(formatMoney(999, "usd"))).toBeInTheDocument();
    expect(formatMoney(999, "usd")).toContain("9.99");
    expect(within(basic).getByText("per month")).toBeInTheDocument();
    expect(within(basic).getByText("100 credits every month")).toBeInTheDocument();
    expect(within(basic).getByText("10 transformations a month")).toBeInTheDocument();
    expect(within(basic).queryByText("Priority queue")).not.toBeInTheDocument();

    const pro = card("Pro");
    expect(within(pro).getByText(formatMoney(2999, "usd"))).toBeInTheDocument();
    expect(within(pro).getByText("300 credits every month")).toBeInTheDocument();
    expect(within(pro).getByText("Priority queue")).toBeInTheDocument();

    const pack = card("50 credits");
    expect(within(pack).getByText(formatMoney(599, "usd"))).toBeInTheDocument();
    expect(within(pack).getByText("once")).toBeInTheDocument();
    expect(within(pack).getByText("50 credits, once")).toBeInTheDocument();

    expect(within(card("Enterprise")).getByRole("link", { name: "Contact sales" })).toHaveAttribute(
      "href",
      "mailto:sales@aivenger.example",
    );
  });

  it("asks a visitor to sign up instead of buying, and doesn't ask for an account's plan", async () => {
    let billingAsked = 0;
    server.use(
      ...signedOutHandlers,
      http.get(url("/billing"), () => {
        billingAsked += 1;
        return HttpResponse.json(errorBody("Unauthorized", "UNAUTHORIZED"), { status: 401 });
      }),
    );
    renderApp("/pricing");
    const basic = await screen.findByRole("listitem", { name: "Basic" });
    expect(within(basic).getByRole("link", { name: "Sign up for Basic" })).toHaveAttribute(
      "href",
      "/register?next=%2Fpricing",
    );
    expect(screen.queryByRole("button", { name: /^Buy / })).not.toBeInTheDocument();
    expect(billingAsked).toBe(0);
  });

  it("marks the signed-in person's plan, with a way to manage it rather than buy it again", async () => {
    signedInWithPlan({ id: "basic", status: "active", renewsAt: "2026-12-22T10:00:00Z", endsAt: null });
    renderApp("/pricing");

    const basic = await screen.findByRole("listitem", { name: "Basic" });
    expect(await within(basic).findByText("Your plan")).toBeInTheDocument();
    expect(basic).toHaveTextContent(/Renews on/);
    expect(within(basic).getByRole("link", { name: "Manage your plan" })).toHaveAttribute("href", "/account/billing");
    expect(within(basic).queryByRole("button")).not.toBeInTheDocument();
    expect(within(card("Pro")).queryByText("Your plan")).not.toBeInTheDocument();
    expect(within(card("Pro")).getByRole("button", { name: "Buy Pro" })).toBeEnabled();
  });

  it("buys: asks the API for a checkout and sends the browser to it", async () => {
    signedInWithPlan(null);
    const assign = stubAssign();
    const asked: unknown[] = [];
    server.use(
      http.get(url("/credits/ledger"), () =>
        HttpResponse.json({ entries: [ledgerEntry({ id: 41 })], nextCursor: "41" }),
      ),
      http.post(url("/billing/checkout"), async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json({ checkoutUrl: "https://pay.example/checkout/abc" }, { status: 201 });
      }),
    );
    const app = renderApp("/pricing");
    const buy = await screen.findByRole("button", { name: "Buy Pro" });
    await waitFor(() => expect(buy).toBeEnabled());
    await app.user.click(buy);

    await waitFor(() => expect(assign).toHaveBeenCalledWith("https://pay.example/checkout/abc"));
    expect(asked).toEqual([{ plan: "pro" }]);
    // Every Buy waits while the browser leaves.
    for (const button of screen.getAllByRole("button", { name: /^Buy |Opening checkout/ })) {
      expect(button).toBeDisabled();
    }
  });

  it("says so, with the way to manage it, when the plan is already held", async () => {
    signedInWithPlan(null);
    const assign = stubAssign();
    server.use(
      http.post(url("/billing/checkout"), () =>
        HttpResponse.json(errorBody("You already have this plan.", "ALREADY_SUBSCRIBED"), { status: 409 }),
      ),
    );
    const app = renderApp("/pricing");
    await app.user.click(await screen.findByRole("button", { name: "Buy Basic" }));

    const alert = await within(card("Basic")).findByRole("alert");
    expect(alert).toHaveTextContent("You already have Basic. Manage it on your billing page.");
    expect(within(alert).getByRole("link", { name: "Manage it on your billing page" })).toHaveAttribute(
      "href",
      "/account/billing",
    );
    expect(screen.getByRole("button", { name: "Buy Basic" })).toHaveAccessibleDescription(/You already have Basic/);
    expect(assign).not.toHaveBeenCalled();
  });

  it("says nothing was charged when payments are unavailable, and lets the person try again", async () => {
    signedInWithPlan(null);
    const assign = stubAssign();
    server.use(
      http.post(url("/billing/checkout"), () =>
        HttpResponse.json(errorBody("Payments are unavailable.", "PAYMENTS_UNAVAILABLE"), { status: 503 }),
      ),
    );
    const app = renderApp("/pricing");
    await app.user.click(await screen.findByRole("button", { name: "Buy 50 credits" }));

    expect(await within(card("50 credits")).findByRole("alert")).toHaveTextContent(
      "Payments are unavailable right now. Nothing was charged; please try again in a few minutes.",
    );
    expect(screen.getByRole("button", { name: "Buy 50 credits" })).toBeEnabled();
    expect(assign).not.toHaveBeenCalled();
  });

  it("offers another try when the plans can't be loaded", async () => {
    let fail = true;
    server.use(
      ...signedOutHandlers,
      http.get(url("/billing/plans"), () =>
        fail
          ? HttpResponse.json(errorBody("Boom", "INTERNAL_ERROR"), { status: 500 })
          : HttpResponse.json({ plans: [] }),
      ),
    );
    const app = renderApp("/pricing");
    const alert = await screen.findByRole("alert", {}, { timeout: 8000 });
    expect(alert).toHaveTextContent("The plans couldn't be loaded.");
    fail = false;
    await app.user.click(within(alert).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(screen.queryByRole("alert")).not.toBeInTheDocument());
    expect(card("Free")).toBeInTheDocument();
  });
});
