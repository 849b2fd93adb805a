import { act, screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { AdminUserDetail } from "../../api/types";
import { adminGeneration, adminStats, adminUser, adminUserDetail } from "../../test/admin";
import { renderApp } from "../../test/renderApp";
import { errorBody, ledgerEntry, server, signedInHandlers, url } from "../../test/server";

const alice = adminUserDetail();
const mainNav = () => screen.getByRole("navigation", { name: "Main" });

/** The account as the list shows it: the page's details left out. */
function summaryOf(account: AdminUserDetail) {
  const summary: Partial<AdminUserDetail> = { ...account };
  delete summary.ledger;
  delete summary.recentGenerations;
  delete summary.adminActions;
  return summary;
}

/** An administrator signed in, and the console's API answering about alice, whose account changes as asked. */
function consoleApi(start: AdminUserDetail = alice) {
  let account = start;
  const asked = { searches: [] as (string | null)[], cursors: [] as (string | null)[], bodies: [] as unknown[] };
  server.use(
    http.get(url("/admin/stats"), () => HttpResponse.json(adminStats())),
    http.get(url("/admin/users"), ({ request }) => {
      const params = new URL(request.url).searchParams;
      asked.searches.push(params.get("q"));
      asked.cursors.push(params.get("cursor"));
      if (params.get("cursor") === "page-2") {
        return HttpResponse.json({ users: [adminUser({ id: "u-3", email: "alina@example.com" })], nextCursor: null });
      }
      return HttpResponse.json({ users: [summaryOf(account)], nextCursor: params.get("q") ? null : "page-2" });
    }),
    http.get(url("/admin/users/:id"), () => HttpResponse.json(account)),
    http.post(url("/admin/users/:id/credits"), async ({ request }) => {
      const body = (await request.json()) as { amount: number; note: string };
      asked.bodies.push(body);
      if (account.credits + body.amount < 0) {
        return HttpResponse.json(
          {
            ...errorBody("That would take more credits than the account has.", "VALIDATION_ERROR"),
            details: [{ loc: ["body", "amount"], msg: "The balance cannot go below 0.", type: "value_error" }],
          },
          { status: 422 },
        );
      }
      const credits = account.credits + body.amount;
      account = {
        ...account,
        credits,
        ledger: [
          ledgerEntry({ id: 9, amount: body.amount, balanceAfter: credits, reason: "admin", note: body.note }),
          ...account.ledger,
        ],
        adminActions: [
          {
            action: "credits",
            adminId: "a-1",
            target: String(body.amount),
            note: body.note,
            createdAt: "2026-11-22T12:00:00Z",
          },
        ],
      };
      return HttpResponse.json({ credits });
    }),
    http.patch(url("/admin/users/:id"), async ({ request }) => {
      const body = (await request.json()) as { isActive: boolean };
      asked.bodies.push(body);
      account = { ...account, isActive: body.isActive };
      return HttpResponse.json(summaryOf(account));
    }),
    ...signedInHandlers({ admin: true }),
  );
  return asked;
}

describe("the operators' console", () => {
  it("is not offered to other people, and tells them so if they find it", async () => {
    server.use(...signedInHandlers());
    const app = renderApp("/dashboard");
    expect(
      await within(await screen.findByRole("navigation", { name: "Main" })).findByRole("link", { name: "Billing" }),
    ).toBeInTheDocument();
    expect(within(mainNav()).queryByRole("link", { name: "Console" })).not.toBeInTheDocument();

    await act(() => app.router.navigate("/console"));
    expect(await screen.findByRole("heading", { name: "Not for you, hero" })).toBeInTheDocument();
    // Nothing of the console loaded, and nothing asked of /admin (an unexpected request would fail the test).
    expect(screen.queryByRole("navigation", { name: "Console" })).not.toBeInTheDocument();
  });

  it("is in the navigation for administrators, and finds accounts by email a page at a time", async () => {
    const asked = consoleApi();
    const app = renderApp("/dashboard");
    await app.user.click(
      await within(await screen.findByRole("navigation", { name: "Main" })).findByRole("link", { name: "Console" }),
    );
    expect(await screen.findByRole("heading", { name: "Service overview" })).toBeInTheDocument();

    await app.user.click(
      within(screen.getByRole("navigation", { name: "Console" })).getByRole("link", { name: "Users" }),
    );
    const list = await screen.findByRole("list", { name: "All accounts" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(1);
    await app.user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(2));
    expect(asked.cursors).toEqual([null, "page-2"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();

    await app.user.type(screen.getByRole("searchbox", { name: "Email contains" }), "alice");
    await app.user.click(screen.getByRole("button", { name: "Search" }));
    const found = await screen.findByRole("list", { name: "Accounts matching “alice”" });
    expect(asked.searches.at(-1)).toBe("alice");
    expect(app.router.state.location.search).toBe("?q=alice");
    const row = within(found).getByRole("listitem");
    expect(row).toHaveTextContent("alice@example.com");
    expect(row).toHaveTextContent("10 credits");
    expect(row).toHaveTextContent("No plan");
    expect(row).toHaveTextContent("Active");
    expect(row).toHaveTextContent("Verified");
    expect(row).toHaveTextContent("Generations2");

    await app.user.click(within(row).getByRole("link", { name: "alice@example.com" }));
    expect(await screen.findByRole("heading", { level: 1, name: "alice@example.com" })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe(`/console/users/${alice.id}`);
    const generations = screen.getByRole("list", { name: "Recent generations" });
    const [failed, done] = within(generations).getAllByRole("listitem");
    expect(failed).toHaveTextContent("failed");
    expect(failed).toHaveTextContent("The model returned no image.");
    expect(done).toHaveTextContent("completed");
    expect(done).toHaveTextContent("$0.039");
    expect(within(screen.getByRole("list", { name: "Credit history" })).getAllByRole("listitem")).toHaveLength(3);
  });

  it("grants credits with a reason, and says why when the API refuses a change", async () => {
    const asked = consoleApi();
    const app = renderApp(`/console/users/${alice.id}`);
    const credits = await screen.findByRole("region", { name: "Credits" });
    expect(within(credits).getByTestId("admin-balance")).toHaveTextContent("10 credits");

    await app.user.type(within(credits).getByLabelText("Amount"), "5");
    await app.user.type(within(credits).getByLabelText("Reason"), "Sorry for the slow weekend");
    await app.user.click(within(credits).getByRole("button", { name: "Grant 5 credits" }));

    expect(await within(credits).findByRole("status")).toHaveTextContent("Done: the balance is now 15 credits.");
    expect(asked.bodies).toEqual([{ amount: 5, note: "Sorry for the slow weekend" }]);
    await waitFor(() => expect(within(credits).getByTestId("admin-balance")).toHaveTextContent("15 credits"));
    const history = screen.getByRole("list", { name: "Credit history" });
    await waitFor(() =>
      expect(within(history).getAllByRole("listitem")[0]).toHaveTextContent("Sorry for the slow weekend"),
    );
    expect(within(history).getAllByRole("listitem")[0]).toHaveTextContent("+5 credits");
    expect(screen.getByRole("list", { name: "Administrators' actions" })).toHaveTextContent("Credits adjusted");

    await app.user.type(within(credits).getByLabelText("Amount"), "-100");
    await app.user.type(within(credits).getByLabelText("Reason"), "Chargeback");
    await app.user.click(within(credits).getByRole("button", { name: "Take 100 credits" }));
    expect(await within(credits).findByRole("alert")).toHaveTextContent(
      "Couldn't change the balance. The balance cannot go below 0. That would take more credits than the account has.",
    );
    expect(within(credits).getByTestId("admin-balance")).toHaveTextContent("15 credits");
  });

  it("asks for a reason before sending a change of balance", async () => {
    const asked = consoleApi();
    const app = renderApp(`/console/users/${alice.id}`);
    const credits = await screen.findByRole("region", { name: "Credits" });
    await app.user.type(within(credits).getByLabelText("Amount"), "5");
    await app.user.click(within(credits).getByRole("button", { name: "Grant 5 credits" }));
    expect(await within(credits).findByRole("alert")).toHaveTextContent("Say why");
    expect(asked.bodies).toEqual([]);
  });

  it("refunds a generation once, and says so when it was refunded already", async () => {
    consoleApi();
    const refunds: { id: string; body: unknown }[] = [];
    server.use(
      http.post(url("/admin/generations/:id/refund"), async ({ params, request }) => {
        refunds.push({ id: String(params.id), body: await request.json() });
        return HttpResponse.json(errorBody("This generation's credits were given back already.", "ALREADY_REFUNDED"), {
          status: 409,
        });
      }),
    );
    const app = renderApp(`/console/users/${alice.id}`);
    const generations = await screen.findByRole("list", { name: "Recent generations" });
    const failed = within(generations).getAllByRole("listitem")[0]!;
    await app.user.click(await within(failed).findByRole("button", { name: /^Refund the Epic Superhero generation/ }));

    const dialog = await screen.findByRole("dialog", { name: "Refund this generation?" });
    expect(dialog).toHaveTextContent("10 credits go back to alice@example.com.");
    const confirm = within(dialog).getByRole("button", { name: "Refund 10 credits" });
    expect(confirm).toBeDisabled();
    await app.user.type(within(dialog).getByLabelText("Reason"), "The model failed");
    await app.user.click(confirm);

    expect(await screen.findByText("Already refunded", { selector: "[data-title]" })).toBeInTheDocument();
    expect(refunds).toEqual([{ id: "gen_2", body: { note: "The model failed" } }]);
    expect(await within(failed).findByText("Already refunded")).toBeInTheDocument();
    expect(within(failed).queryByRole("button", { name: /^Refund/ })).not.toBeInTheDocument();
  });

  it("takes a shared result out of the public gallery", async () => {
    consoleApi();
    const takenDown: string[] = [];
    server.use(
      http.get(url("/admin/users/:id"), () =>
        HttpResponse.json(
          adminUserDetail({ recentGenerations: [adminGeneration({ id: "gen_1", shareSlug: "abc123" })] }),
        ),
      ),
      http.delete(url("/admin/gallery/:slug"), ({ params }) => {
        takenDown.push(String(params.slug));
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const app = renderApp(`/console/users/${alice.id}`);
    const generations = await screen.findByRole("list", { name: "Recent generations" });
    await app.user.click(await within(generations).findByRole("button", { name: /out of the public gallery$/ }));

    expect(await screen.findByText("Taken out of the public gallery.")).toBeInTheDocument();
    expect(takenDown).toEqual(["abc123"]);
    expect(within(generations).queryByRole("button", { name: /out of the public gallery$/ })).not.toBeInTheDocument();
  });

  it("marks generations the ledger shows as refunded", async () => {
    consoleApi(
      adminUserDetail({
        ledger: [
          ledgerEntry({ id: 4, amount: 10, balanceAfter: 20, reason: "refund", note: null, generationId: "gen_2" }),
          ...alice.ledger,
        ],
      }),
    );
    renderApp(`/console/users/${alice.id}`);
    const generations = await screen.findByRole("list", { name: "Recent generations" });
    const [failed, done] = within(generations).getAllByRole("listitem");
    expect(failed).toHaveTextContent("Refunded");
    expect(within(failed!).queryByRole("button", { name: /^Refund/ })).not.toBeInTheDocument();
    expect(within(done!).getByRole("button", { name: /^Refund/ })).toBeInTheDocument();
  });

  it("disables an account after confirmation, and enables it again", async () => {
    const asked = consoleApi();
    const app = renderApp(`/console/users/${alice.id}`);
    const access = await screen.findByRole("region", { name: "Access" });

    await app.user.click(within(access).getByRole("button", { name: "Disable account" }));
    let dialog = await screen.findByRole("dialog", { name: "Disable this account?" });
    expect(dialog).toHaveTextContent("alice@example.com is logged out everywhere at once");
    await app.user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(asked.bodies).toEqual([]);

    await app.user.click(within(access).getByRole("button", { name: "Disable account" }));
    dialog = await screen.findByRole("dialog", { name: "Disable this account?" });
    await app.user.click(within(dialog).getByRole("button", { name: "Disable account" }));
    expect(await screen.findByText("Account disabled")).toBeInTheDocument();
    expect(asked.bodies).toEqual([{ isActive: false }]);
    const header = screen.getByRole("heading", { level: 1, name: "alice@example.com" }).parentElement!;
    await waitFor(() => expect(header).toHaveTextContent("Disabled"));

    await app.user.click(await within(access).findByRole("button", { name: "Enable account" }));
    dialog = await screen.findByRole("dialog", { name: "Enable this account?" });
    await app.user.click(within(dialog).getByRole("button", { name: "Enable account" }));
    expect(await screen.findByText("Account enabled")).toBeInTheDocument();
    expect(asked.bodies).toEqual([{ isActive: false }, { isActive: true }]);
    await waitFor(() => expect(header).toHaveTextContent("Active"));
  });

  it("doesn't offer to disable the operator's own account", async () => {
    consoleApi(adminUserDetail({ id: "7b0c5a4e-4a1e-4a55-9a53-0d2f4c1d9e01", isSuperuser: true }));
    renderApp("/console/users/7b0c5a4e-4a1e-4a55-9a53-0d2f4c1d9e01");
    const access = await screen.findByRole("region", { name: "Access" });
    expect(within(access).getByText(/This is your own account/)).toBeInTheDocument();
    expect(within(access).queryByRole("button")).not.toBeInTheDocument();
  });

  it("says so when the account doesn't exist", async () => {
    consoleApi();
    server.use(
      http.get(url("/admin/users/:id"), () =>
        HttpResponse.json(errorBody("User not found.", "NOT_FOUND"), { status: 404 }),
      ),
    );
    renderApp("/console/users/0d7c1f0e-0000-4c3d-8e9f-a0b1c2d3e4f5");
    expect(await screen.findByRole("alert")).toHaveTextContent("There is no such account");
    expect(screen.getByRole("link", { name: "All accounts" })).toBeInTheDocument();
  });
});
