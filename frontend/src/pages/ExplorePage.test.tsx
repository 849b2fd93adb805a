import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { PublicItem } from "../api/types";
import { renderApp } from "../test/renderApp";
import { server, signedOutHandlers, url } from "../test/server";

const item = (n: number): PublicItem => ({
  slug: `slug${n}`,
  style: "marvel",
  imageUrl: `http://localhost:3000/public/slug${n}/image`,
  shareUrl: `http://localhost:3000/s/slug${n}`,
  width: 1024,
  height: 1024,
  createdAt: `2026-11-${String(10 + n).padStart(2, "0")}T10:00:00Z`,
});

describe("the public gallery", () => {
  it("needs no login, links each portrait to its shared page and loads more with the cursor", async () => {
    const cursors: (string | null)[] = [];
    server.use(
      ...signedOutHandlers,
      http.get(url("/public"), ({ request }) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        cursors.push(cursor);
        return cursor === "next"
          ? HttpResponse.json({ items: [item(1)], nextCursor: null })
          : HttpResponse.json({ items: [item(3), item(2)], nextCursor: "next" });
      }),
    );
    const app = renderApp("/explore");
    expect(await screen.findByRole("heading", { name: "Explore" })).toBeInTheDocument();
    const list = await screen.findByRole("list", { name: "Shared superheroes" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    const first = within(list).getAllByRole("link")[0];
    expect(first).toHaveAttribute("href", item(3).shareUrl);
    expect(
      within(first as HTMLElement).getByRole("img", { name: "Marvel Cinematic superhero portrait" }),
    ).toHaveAttribute("src", item(3).imageUrl);

    await app.user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    expect(cursors).toEqual([null, "next"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Make your own superhero" })).toHaveAttribute("href", "/register");
  });

  it("says so when nothing is shared yet", async () => {
    server.use(
      ...signedOutHandlers,
      http.get(url("/public"), () => HttpResponse.json({ items: [], nextCursor: null })),
    );
    renderApp("/explore");
    expect(await screen.findByRole("heading", { name: "Nothing here yet" })).toBeInTheDocument();
  });
});
