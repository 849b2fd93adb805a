import { act, screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Billing, LedgerEntry, Purchase } from "../api/types";
import { formatMoney } from "../lib/format";
import { renderApp } from "../test/renderApp";
import { errorBody, ledgerEntry, server, signedInHandlers, stats, url } from "../test/server";

function stubAssign() {
  const assign = vi.fn();
  vi.stubGlobal("location", { ...window.location, assign });
  return assign;
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

const purchase: Purchase = {
  orderId: "order_1",
  planId: "pro",
  amountCents: 2999,
  currency: "usd",
  credits: 300,
  refundedCents: 0,
  createdAt: "2026-11-22T11:00:00Z",
};

const newest: LedgerEntry[] = [
  ledgerEntry({ id: 5, amount: -10, balanceAfter: 320, reason: "generation", note: null, generationId: "gen_1" }),
  ledgerEntry({ id: 4, amount: 300, balanceAfter: 330, reason: "purchase", note: "Pro (order order_1)" }),
];
const older: LedgerEntry[] = [
  ledgerEntry({ id: 3, amount: 10, balanceAfter: 30, reason: "admin", note: "Sorry for the slow weekend" }),
  ledgerEntry({ id: 2, amount: 10, balanceAfter: 20, reason: "refund", note: null }),
  ledgerEntry({ id: 1, amount: 30, balanceAfter: 30, reason: "signup", note: "welcome credits" }),
];

function billingWith(billing: Billing, purchases: Purchase[] = []) {
  server.use(
    http.get(url("/billing"), () => HttpResponse.json(billing)),
    http.get(url("/billing/purchases"), () => HttpResponse.json({ purchases })),
    ...signedInHandlers({ credits: billing.credits }),
  );
}

const ledgerList = () => screen.getByRole("list", { name: "Credit history" });

describe("the billing page", () => {
  it("shows the plan, the purchases and the credit history, with older movements on request", async () => {
    billingWith(
      { credits: 320, plan: { id: "pro", status: "active", renewsAt: "2026-12-22T11:00:00Z", endsAt: null } },
      [purchase],
    );
    const cursors: (string | null)[] = [];
    server.use(
      http.get(url("/credits/ledger"), ({ request }) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        cursors.push(cursor);
        return HttpResponse.json(
          cursor === "4" ? { entries: older, nextCursor: null } : { entries: newest, nextCursor: "4" },
        );
      }),
    );
    const app = renderApp("/account/billing");
    expect(await screen.findByRole("heading", { name: "Billing" })).toBeInTheDocument();
    expect(await screen.findByText(/You have 320 credits\./)).toBeInTheDocument();

    const plan = screen.getByRole("region", { name: "Your plan" });
    expect(await within(plan).findByText("Pro")).toBeInTheDocument();
    expect(within(plan).getByText("Active")).toBeInTheDocument();
    expect(plan).toHaveTextContent(/Renews on /);
    expect(within(plan).getByRole("button", { name: "Manage or cancel" })).toBeEnabled();

    const bought = await screen.findByRole("list", { name: "Purchases" });
    const row = within(bought).getByRole("listitem");
    expect(row).toHaveTextContent("Pro");
    expect(row).toHaveTextContent(formatMoney(2999, "usd"));
    expect(row).toHaveTextContent("300 credits");

    await waitFor(() => expect(within(ledgerList()).getAllByRole("listitem")).toHaveLength(2));
    const [spent, added] = within(ledgerList()).getAllByRole("listitem");
    expect(spent).toHaveTextContent("Transformation");
    expect(spent).toHaveTextContent("−10 credits");
    expect(spent).toHaveTextContent("Balance 320");
    expect(added).toHaveTextContent("Purchase");
    expect(added).not.toHaveTextContent("order_1");
    expect(added).toHaveTextContent("+300 credits");
    expect(added).toHaveTextContent("Balance 330");

    await app.user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(ledgerList()).getAllByRole("listitem")).toHaveLength(5));
    const rows = within(ledgerList()).getAllByRole("listitem");
    expect(rows[2]).toHaveTextContent("Adjustment by our team");
    expect(rows[2]).toHaveTextContent("Sorry for the slow weekend");
    expect(rows[3]).toHaveTextContent("Refund for a transformation");
    expect(rows[4]).toHaveTextContent("Welcome credits");
    expect(rows[4]).toHaveTextContent("+30 credits");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(cursors).toEqual([null, "4"]);
  });

  it("says when a canceled plan ends", async () => {
    billingWith(
      { credits: 30, plan: { id: "basic", status: "canceled", renewsAt: null, endsAt: "2026-12-22T11:00:00Z" } },
      [{ ...purchase, planId: "basic", amountCents: 999, credits: 100 }],
    );
    renderApp("/account/billing");
    const plan = await screen.findByRole("region", { name: "Your plan" });
    expect(await within(plan).findByText("Canceled")).toBeInTheDocument();
    expect(plan).toHaveTextContent(/Canceled: it ends on .+ and won't renew\./);
    expect(plan).not.toHaveTextContent(/Renews on/);
  });

  it("sends a subscriber to the portal to manage or cancel", async () => {
    billingWith(
      { credits: 320, plan: { id: "pro", status: "active", renewsAt: "2026-12-22T11:00:00Z", endsAt: null } },
      [purchase],
    );
    const assign = stubAssign();
    server.use(
      http.post(url("/billing/portal"), () => HttpResponse.json({ portalUrl: "https://pay.example/portal/xyz" })),
    );
    const app = renderApp("/account/billing");
    await app.user.click(await screen.findByRole("button", { name: "Manage or cancel" }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith("https://pay.example/portal/xyz"));
  });

  it("offers no portal to an account that never bought anything", async () => {
    billingWith({ credits: 30, plan: null });
    renderApp("/account/billing");
    const plan = await screen.findByRole("region", { name: "Your plan" });
    expect(await within(plan).findByText(/No monthly plan/)).toBeInTheDocument();
    expect(within(plan).getByRole("link", { name: "See the plans" })).toHaveAttribute("href", "/pricing");
    expect(await screen.findByText("Nothing bought yet.")).toBeInTheDocument();
    expect(within(plan).queryByRole("button")).not.toBeInTheDocument();
  });

  it("explains, and stops offering the portal, when the API says there is nothing to manage", async () => {
    billingWith({ credits: 80, plan: null }, [{ ...purchase, planId: "pack-50", amountCents: 599, credits: 50 }]);
    const assign = stubAssign();
    server.use(
      http.post(url("/billing/portal"), () =>
        HttpResponse.json(errorBody("There is nothing to manage yet.", "NO_PURCHASES"), { status: 409 }),
      ),
    );
    const app = renderApp("/account/billing");
    const plan = await screen.findByRole("region", { name: "Your plan" });
    await app.user.click(await within(plan).findByRole("button", { name: "Receipts and payment details" }));

    expect(await within(plan).findByRole("status")).toHaveTextContent(
      "There is nothing to manage yet: this account hasn't bought anything.",
    );
    expect(within(plan).queryByRole("button")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(assign).not.toHaveBeenCalled();
  });

  it("is reached from the account page and from the navigation", async () => {
    billingWith({ credits: 30, plan: null });
    const app = renderApp("/account");
    await app.user.click(await screen.findByRole("link", { name: "Billing and credit history" }));
    expect(await screen.findByRole("heading", { name: "Billing" })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/account/billing");

    await act(() => app.router.navigate("/dashboard"));
    const nav = screen.getByRole("navigation", { name: "Main" });
    await app.user.click(within(nav).getByRole("link", { name: "Billing" }));
    expect(await screen.findByRole("heading", { name: "Billing" })).toBeInTheDocument();
    expect(within(nav).getByRole("link", { name: "Billing" })).toHaveAttribute("aria-current", "page");
  });
});

describe("the return from checkout", () => {
  it("waits for the purchase to land, then says how many credits it added and updates the balance", async () => {
    let credits = 30;
    let landedAfterPolls = 2;
    let polls = 0;
    const signup = ledgerEntry({ id: 7, amount: 30, balanceAfter: 30 });
    const bought = ledgerEntry({ id: 8, amount: 100, balanceAfter: 130, reason: "purchase", note: "Basic (order o)" });
    server.use(
      http.get(url("/user/stats"), () => HttpResponse.json(stats({ credits }))),
      http.get(url("/billing"), () => HttpResponse.json({ credits, plan: null } satisfies Billing)),
      http.get(url("/credits/ledger"), ({ request }) => {
        const limit = new URL(request.url).searchParams.get("limit");
        // The page's own list and the poll both read 20; the purchase starts from the newest entry alone.
        if (limit === "20" && landedAfterPolls > 0) {
          polls += 1;
          if (polls > landedAfterPolls) {
            credits = 130;
            landedAfterPolls = 0;
          }
        }
        return HttpResponse.json({ entries: credits === 130 ? [bought, signup] : [signup], nextCursor: null });
      }),
      http.post(url("/billing/checkout"), () =>
        HttpResponse.json({ checkoutUrl: "https://pay.example/checkout/abc" }, { status: 201 }),
      ),
      ...signedInHandlers({ credits: 30 }),
    );
    const assign = stubAssign();
    const app = renderApp("/pricing");
    await app.user.click(await screen.findByRole("button", { name: "Buy Basic" }));
    await waitFor(() => expect(assign).toHaveBeenCalled());

    // Back from the payment page, before the payment is confirmed.
    await act(() => app.router.navigate("/account/billing?checkout=success&plan=basic"));
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Confirming your payment…"));
    expect(screen.getByRole("link", { name: "30 credits available. Get credits" })).toBeInTheDocument();

    await waitFor(
      () =>
        expect(screen.getByRole("status")).toHaveTextContent(
          "Payment received: 100 credits added. Thank you for buying Basic.",
        ),
      { timeout: 10_000 },
    );
    expect(await screen.findByRole("link", { name: "130 credits available. Get credits" })).toBeInTheDocument();
    expect(await screen.findByText(/You have 130 credits\./)).toBeInTheDocument();
    await waitFor(() => expect(within(ledgerList()).getAllByRole("listitem")).toHaveLength(2));
    // A reload wouldn't wait for the same purchase again.
    expect(app.router.state.location.search).toBe("");
    expect(sessionStorage.length).toBe(0);
  });

  it("counts a purchase that landed before the page loaded, as the offline checkout's does", async () => {
    // Nothing noted in this tab (the purchase began elsewhere): a purchase of the last minutes counts.
    const justNow = new Date(Date.now() - 30_000).toISOString();
    billingWith({ credits: 80, plan: null });
    server.use(
      http.get(url("/credits/ledger"), () =>
        HttpResponse.json({
          entries: [ledgerEntry({ id: 2, amount: 50, balanceAfter: 80, reason: "purchase", createdAt: justNow })],
          nextCursor: null,
        }),
      ),
    );
    renderApp("/account/billing?checkout=success&plan=pack-50");
    await waitFor(() =>
      expect(screen.getByRole("status")).toHaveTextContent(
        "Payment received: 50 credits added. Thank you for buying 50 credits.",
      ),
    );
  });

  it("says the payment is being confirmed when the credits take longer than 20 seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    billingWith({ credits: 30, plan: null });
    server.use(
      http.get(url("/credits/ledger"), () => {
        polls += 1;
        // An old purchase is not this one.
        return HttpResponse.json({
          entries: [ledgerEntry({ id: 2, reason: "purchase", amount: 100, createdAt: "2020-01-01T00:00:00Z" })],
          nextCursor: null,
        });
      }),
    );
    renderApp("/account/billing?checkout=success&plan=basic");
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Confirming your payment…"));
    const before = polls;
    await act(() => vi.advanceTimersByTimeAsync(21_000));
    await waitFor(() =>
      expect(screen.getByRole("status")).toHaveTextContent(
        "Your payment is being confirmed; credits appear here as soon as it is.",
      ),
    );
    expect(polls).toBeGreaterThan(before + 5);
    expect(screen.queryByText(/Payment received/)).not.toBeInTheDocument();
  });
});
