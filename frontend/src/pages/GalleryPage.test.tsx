import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Generation } from "../api/types";
import { renderApp } from "../test/renderApp";
import { completed, makeGeneration, server, signedInHandlers, url } from "../test/server";

const hero = (n: number): Generation =>
  completed(makeGeneration({ id: `gen_${n}`, createdAt: `2026-11-${String(10 + n).padStart(2, "0")}T10:00:00Z` }));

describe("the gallery", () => {
  it("lists completed generations page by page, following the API's cursor", async () => {
    const cursors: (string | null)[] = [];
    server.use(
      http.get(url("/generations"), ({ request }) => {
        const params = new URL(request.url).searchParams;
        expect(params.get("status")).toBe("completed");
        cursors.push(params.get("cursor"));
        return params.get("cursor") === "page-2"
          ? HttpResponse.json({ generations: [hero(1)], count: 1, nextCursor: null })
          : HttpResponse.json({ generations: [hero(3), hero(2)], count: 2, nextCursor: "page-2" });
      }),
      ...signedInHandlers(),
    );
    const app = renderApp("/gallery");
    const list = await screen.findByRole("list", { name: "Completed transformations" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    for (const image of within(list).getAllByRole("img")) expect(image).toHaveAttribute("loading", "lazy");
    expect(within(list).getAllByRole("img")[0]).toHaveAttribute("src", hero(3).thumbnailUrl);

    await app.user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    expect(cursors).toEqual([null, "page-2"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("has a clear empty state", async () => {
    server.use(...signedInHandlers());
    renderApp("/gallery");
    expect(await screen.findByRole("heading", { name: "No superheroes yet" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Create your first superhero" })).toHaveAttribute("href", "/dashboard");
  });

  it("shows failed generations with their message under the Failed tab", async () => {
    const failed = makeGeneration({ id: "gen_failed", status: "failed", errorMessage: "It looks blank." });
    server.use(
      http.get(url("/generations"), ({ request }) =>
        new URL(request.url).searchParams.get("status") === "failed"
          ? HttpResponse.json({ generations: [failed], count: 1, nextCursor: null })
          : HttpResponse.json({ generations: [], count: 0, nextCursor: null }),
      ),
      ...signedInHandlers(),
    );
    const app = renderApp("/gallery");
    await screen.findByRole("heading", { name: "No superheroes yet" });
    await app.user.click(screen.getByRole("link", { name: "Failed" }));
    const list = await screen.findByRole("list", { name: "Failed generations" });
    expect(within(list).getByText("It looks blank.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Failed" })).toHaveAttribute("aria-current", "page");
  });

  it("deletes a generation from its large view after confirmation", async () => {
    let items = [hero(1)];
    let deleted: string | null = null;
    let askedAfterDeleting = 0;
    server.use(
      http.get(url("/generations"), () =>
        HttpResponse.json({ generations: items, count: items.length, nextCursor: null }),
      ),
      http.get(url("/generations/gen_1"), () => {
        if (deleted) askedAfterDeleting += 1;
        return deleted ? HttpResponse.json({ detail: "Not found" }, { status: 404 }) : HttpResponse.json(hero(1));
      }),
      http.delete(url("/generations/gen_1"), () => {
        deleted = "gen_1";
        items = [];
        return HttpResponse.json({ success: true });
      }),
      ...signedInHandlers(),
    );
    const app = renderApp("/gallery/gen_1");
    const dialog = await screen.findByRole("dialog", { name: "Epic Superhero transformation" });
    expect(within(dialog).getByRole("link", { name: "Download" })).toHaveAttribute("download", "aivenger-gen_1.jpg");
    expect(within(dialog).getByRole("slider", { name: /Before and after comparison/ })).toBeInTheDocument();

    await app.user.click(within(dialog).getByRole("button", { name: "Delete" }));
    const confirm = await screen.findByRole("dialog", { name: "Delete this transformation?" });
    expect(deleted).toBeNull();
    await app.user.click(within(confirm).getByRole("button", { name: "Delete forever" }));

    expect(await screen.findByRole("heading", { name: "No superheroes yet" })).toBeInTheDocument();
    expect(deleted).toBe("gen_1");
    expect(app.router.state.location.pathname).toBe("/gallery");
    // What was deleted is not asked for again (a 404 the browser would log).
    expect(askedAfterDeleting).toBe(0);
  });
});

describe("the gallery's images", () => {
  it("are thumbnails in the grid, or the full image for a generation without one, decoded off the main thread", async () => {
    const old = { ...hero(1), thumbnailUrl: null, originalThumbnailUrl: null };
    server.use(
      http.get(url("/generations"), () =>
        HttpResponse.json({ generations: [hero(2), old], count: 2, nextCursor: null }),
      ),
      ...signedInHandlers(),
    );
    renderApp("/gallery");
    const list = await screen.findByRole("list", { name: "Completed transformations" });
    const [recent, older] = within(list).getAllByRole("img");
    expect(recent).toHaveAttribute("src", hero(2).thumbnailUrl);
    expect(recent).not.toHaveAttribute("srcset");
    expect(older).toHaveAttribute("src", old.generatedImageUrl);
    for (const image of [recent, older]) {
      expect(image).toHaveAttribute("loading", "lazy");
      expect(image).toHaveAttribute("decoding", "async");
    }
  });

  it("of a failed generation are the uploaded photo's thumbnail", async () => {
    const failed = makeGeneration({ id: "gen_failed", status: "failed", errorMessage: "It looks blank." });
    server.use(
      http.get(url("/generations"), () => HttpResponse.json({ generations: [failed], count: 1, nextCursor: null })),
      ...signedInHandlers(),
    );
    renderApp("/gallery?status=failed");
    const list = await screen.findByRole("list", { name: "Failed generations" });
    expect(within(list).getByRole("img", { name: "Original photo" })).toHaveAttribute(
      "src",
      failed.originalThumbnailUrl,
    );
  });

  it("in the large view offer the thumbnails to small viewports and the full images to large ones", async () => {
    server.use(
      http.get(url("/generations"), () => HttpResponse.json({ generations: [hero(1)], count: 1, nextCursor: null })),
      http.get(url("/generations/gen_1"), () => HttpResponse.json(hero(1))),
      ...signedInHandlers(),
    );
    renderApp("/gallery/gen_1");
    const dialog = await screen.findByRole("dialog", { name: "Epic Superhero transformation" });
    const after = within(dialog).getByRole("img", { name: "Superhero portrait" });
    const before = within(dialog).getByRole("img", { name: "Original portrait" });
    expect(after).toHaveAttribute("src", hero(1).generatedImageUrl);
    expect(after).toHaveAttribute("srcset", `${hero(1).thumbnailUrl} 320w, ${hero(1).generatedImageUrl} 1024w`);
    expect(before).toHaveAttribute("src", hero(1).originalImageUrl);
    expect(before).toHaveAttribute("srcset", `${hero(1).originalThumbnailUrl} 320w, ${hero(1).originalImageUrl} 2048w`);
    for (const image of [after, before]) {
      expect(image.getAttribute("sizes")).toMatch(/^\(max-width: \d+px\) .+, \d+px$/);
      expect(image).toHaveAttribute("decoding", "async");
    }
    expect(within(dialog).getByRole("link", { name: "Download" })).toHaveAttribute("href", hero(1).generatedImageUrl);
  });

  it("in the large view of an old generation without thumbnails are the full images alone", async () => {
    const old = { ...hero(1), thumbnailUrl: null, originalThumbnailUrl: null };
    server.use(
      http.get(url("/generations"), () => HttpResponse.json({ generations: [old], count: 1, nextCursor: null })),
      http.get(url("/generations/gen_1"), () => HttpResponse.json(old)),
      ...signedInHandlers(),
    );
    renderApp("/gallery/gen_1");
    const dialog = await screen.findByRole("dialog", { name: "Epic Superhero transformation" });
    const after = within(dialog).getByRole("img", { name: "Superhero portrait" });
    const before = within(dialog).getByRole("img", { name: "Original portrait" });
    expect(after).toHaveAttribute("src", old.generatedImageUrl);
    expect(before).toHaveAttribute("src", old.originalImageUrl);
    for (const image of [after, before]) {
      expect(image).not.toHaveAttribute("srcset");
      expect(image).not.toHaveAttribute("sizes");
    }
  });
});
