import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adminStats } from "../../test/admin";
import { renderApp } from "../../test/renderApp";
import { errorBody, server, signedInHandlers, url } from "../../test/server";
import { fillDays } from "./charts";

beforeEach(() => {
  // Only the clock: the period's days end today.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-22T15:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

function statsApi() {
  const periods: (string | null)[] = [];
  server.use(
    http.get(url("/admin/stats"), ({ request }) => {
      const days = new URL(request.url).searchParams.get("days");
      periods.push(days);
      return HttpResponse.json(adminStats({ days: Number(days ?? 30) }));
    }),
    ...signedInHandlers({ admin: true }),
  );
  return periods;
}

/** The headline figure called `label`: its value and what it counts. */
function figure(label: string): HTMLElement {
  const term = within(screen.getByRole("region", { name: "Headline numbers" })).getByText(label, { selector: "dt" });
  return term.parentElement as HTMLElement;
}

describe("the console's overview", () => {
  it("shows the period's headline numbers", async () => {
    statsApi();
    renderApp("/console");
    await screen.findByRole("region", { name: "Headline numbers" });

    expect(figure("Generations")).toHaveTextContent("20");
    expect(figure("Generations")).toHaveTextContent("18 completed · 1 failed · 1 pending");
    expect(figure("Success rate")).toHaveTextContent("94.7%");
    expect(figure("Credits spent")).toHaveTextContent("200");
    expect(figure("Credits refunded")).toHaveTextContent("10");
    expect(figure("Credits purchased")).toHaveTextContent("400");
    expect(figure("Revenue")).toHaveTextContent("$39.98");
    expect(figure("Provider cost")).toHaveTextContent("$0.741");
    expect(figure("Margin")).toHaveTextContent("$39.24");
    expect(figure("Signups")).toHaveTextContent("7");
    expect(figure("Active users")).toHaveTextContent("5");
    expect(figure("Retention")).toHaveTextContent("75%");
    expect(figure("Retention")).toHaveTextContent("3 of 4 first-time creators came back");
    expect(figure("Median (p50)")).toHaveTextContent("7.9 s");
    expect(figure("95th percentile")).toHaveTextContent("14.3 s");
    expect(figure("Average")).toHaveTextContent("8.4 s");
  });

  it("draws the charts, each with a caption and its numbers as a table", async () => {
    statsApi();
    const app = renderApp("/console");

    const byDay = await screen.findByRole("figure", { name: "Generations per day" });
    expect(byDay).toHaveTextContent("18 completed and 1 failed over 30 days; the busiest day was Nov 22 with 10.");
    expect(byDay.querySelectorAll(".recharts-bar-rectangle").length).toBeGreaterThan(0);
    await app.user.click(within(byDay).getByText("The numbers"));
    const days = within(byDay).getByRole("table", { name: "Generations per day" });
    const rows = within(days).getAllByRole("row");
    expect(rows).toHaveLength(31); // a header and 30 days, the quiet ones too
    expect(rows[1]).toHaveTextContent(/^Oct 24\s*0\s*0$/);
    expect(rows[29]).toHaveTextContent(/^Nov 21\s*8\s*1$/);
    expect(rows[30]).toHaveTextContent(/^Nov 22\s*10\s*0$/);

    const credits = screen.getByRole("figure", { name: "Credits spent and purchased per day" });
    expect(credits).toHaveTextContent("200 credits spent on generations and 400 purchased over 30 days.");
    const creditRows = within(within(credits).getByRole("table", { hidden: true })).getAllByRole("row", {
      hidden: true,
    });
    expect(creditRows.at(-1)).toHaveTextContent(/^Nov 22\s*110\s*300$/);

    const hours = screen.getByRole("figure", { name: "Popular hours" });
    expect(hours).toHaveTextContent("The busiest hour is 20:00, with 12.");
    expect(within(hours).getAllByRole("row", { hidden: true })).toHaveLength(25);

    const styles = screen.getByRole("figure", { name: "Styles" });
    expect(await within(styles).findByText(/Epic Superhero is the most chosen style/)).toHaveTextContent(
      "Epic Superhero is the most chosen style, with 12 of 20 generations.",
    );
    expect(styles.querySelectorAll(".recharts-bar-rectangle path")).toHaveLength(3);
    const styleRows = within(styles).getAllByRole("row", { hidden: true });
    expect(styleRows.map((row) => row.textContent)).toEqual([
      "StyleGenerations",
      "Epic Superhero12",
      "Marvel Cinematic6",
      "DC Dark Knight2",
    ]);
  });

  it("switches between 7, 30 and 90 days", async () => {
    const periods = statsApi();
    const app = renderApp("/console");
    const period = await screen.findByRole("group", { name: "Period" });
    expect(within(period).getByRole("button", { name: "30 days" })).toHaveAttribute("aria-pressed", "true");

    await app.user.click(within(period).getByRole("button", { name: "7 days" }));
    expect(await screen.findByRole("heading", { name: "Over the last 7 days" })).toBeInTheDocument();
    expect(within(period).getByRole("button", { name: "7 days" })).toHaveAttribute("aria-pressed", "true");
    expect(app.router.state.location.search).toBe("?days=7");

    await app.user.click(within(period).getByRole("button", { name: "90 days" }));
    expect(await screen.findByRole("heading", { name: "Over the last 90 days" })).toBeInTheDocument();
    expect(periods).toEqual(["30", "7", "90"]);
  });

  it("says why when the numbers can't be had", async () => {
    server.use(
      http.get(url("/admin/stats"), () =>
        HttpResponse.json(errorBody("This is for administrators.", "FORBIDDEN"), { status: 403 }),
      ),
      ...signedInHandlers({ admin: true }),
    );
    renderApp("/console");
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("This is for administrators."));
  });
});

describe("fillDays", () => {
  it("gives every day of the period, oldest first, with the quiet days at zero", () => {
    const filled = fillDays(
      [{ day: "2026-11-20", completed: 2, failed: 1, creditsSpent: 30, creditsPurchased: 0 }],
      3,
      new Date("2026-11-22T15:00:00Z"),
    );
    expect(filled).toEqual([
      { day: "2026-11-20", completed: 2, failed: 1, creditsSpent: 30, creditsPurchased: 0 },
      { day: "2026-11-21", completed: 0, failed: 0, creditsSpent: 0, creditsPurchased: 0 },
      { day: "2026-11-22", completed: 0, failed: 0, creditsSpent: 0, creditsPurchased: 0 },
    ]);
  });

  it("keeps a day the API counted just before the period (its window starts mid-day)", () => {
    const filled = fillDays(
      [{ day: "2026-11-19", completed: 1, failed: 0, creditsSpent: 10, creditsPurchased: 0 }],
      3,
      new Date("2026-11-22T15:00:00Z"),
    );
    expect(filled.map((day) => day.day)).toEqual(["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]);
  });
});
