import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../test/renderApp";
import { completed, errorBody, makeGeneration, server, signedInHandlers, url } from "../../test/server";

const hero = completed(makeGeneration({ id: "gen_hero", aspectRatio: "4:5", width: 896, height: 1120 }));

async function openInGallery(generation = hero) {
  server.use(
    ...signedInHandlers(),
    http.get(url("/generations"), () => HttpResponse.json({ generations: [generation], count: 1, nextCursor: null })),
    http.get(url(`/generations/${generation.id}`), () => HttpResponse.json(generation)),
  );
  const app = renderApp(`/gallery/${generation.id}`);
  const dialog = await screen.findByRole("dialog", { name: "Epic Superhero transformation" });
  return { app, dialog };
}

describe("a result's actions", () => {
  it("show the result at full size", async () => {
    const { app, dialog } = await openInGallery();
    await app.user.click(within(dialog).getByRole("button", { name: "View large" }));
    const large = await screen.findByRole("dialog", { name: /portrait, full size/ });
    const image = within(large).getByRole("img", { name: /full size/ });
    expect(image).toHaveAttribute("src", hero.generatedImageUrl);
    expect(image).toHaveAttribute("width", "896");
    expect(image).toHaveAttribute("height", "1120");
    await app.user.click(within(large).getByRole("button", { name: "Close" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: /full size/ })).not.toBeInTheDocument());
  });

  it("start another style from the same photo, keeping shape and model, then open it", async () => {
    const next = makeGeneration({ id: "gen_again", style: "marvel" });
    let body: unknown;
    server.use(
      http.post(url(`/generations/${hero.id}/again`), async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(
          { success: true, generation: next, generations: [next], remainingCredits: 20 },
          { status: 202 },
        );
      }),
      http.get(url(`/generations/${next.id}`), () => HttpResponse.json(next)),
    );
    const { app, dialog } = await openInGallery();
    await app.user.click(within(dialog).getByRole("button", { name: "Another style" }));
    await app.user.selectOptions(within(dialog).getByRole("combobox", { name: "Same photo, another style" }), "marvel");
    await app.user.click(within(dialog).getByRole("button", { name: "Create · 10 credits" }));

    await waitFor(() => expect(app.router.state.location.pathname).toBe(`/gallery/${next.id}`));
    expect(body).toEqual({ style: "marvel", model: "standard", aspectRatio: "4:5" });
    expect(await screen.findByText("This transformation is still in progress.")).toBeInTheDocument();
  });

  it("say when a refinement can't start yet", async () => {
    server.use(
      http.post(url(`/generations/${hero.id}/refine`), () =>
        HttpResponse.json(errorBody("The generation is not completed yet.", "NOT_COMPLETED"), { status: 409 }),
      ),
    );
    const { app, dialog } = await openInGallery();
    await app.user.click(within(dialog).getByRole("button", { name: "Refine" }));
    await app.user.type(within(dialog).getByRole("textbox", { name: "What should change?" }), "gold mask");
    await app.user.click(within(dialog).getByRole("button", { name: "Refine · 10 credits" }));
    expect(await screen.findByText("The generation is not completed yet.")).toBeInTheDocument();
  });

  it("share a link, with the public gallery only by consent, and stop sharing", async () => {
    const shares: unknown[] = [];
    let stopped = false;
    const shareUrl = "http://localhost:3000/s/abc123";
    server.use(
      http.post(url(`/generations/${hero.id}/share`), async ({ request }) => {
        const body = (await request.json()) as { gallery: boolean };
        shares.push(body);
        return HttpResponse.json({ shareUrl, gallery: body.gallery });
      }),
      http.delete(url(`/generations/${hero.id}/share`), () => {
        stopped = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { app, dialog } = await openInGallery();
    await app.user.click(within(dialog).getByRole("button", { name: "Share" }));
    const share = await screen.findByRole("dialog", { name: "Share your superhero" });
    const consent = within(share).getByRole("checkbox", { name: /Show in the public gallery/ });
    expect(consent).not.toBeChecked();

    await app.user.click(within(share).getByRole("button", { name: "Create link" }));
    const link = await within(share).findByRole("textbox", { name: "Share link" });
    expect(link).toHaveValue(shareUrl);
    expect(shares).toEqual([{ gallery: false }]);
    expect(within(share).getByRole("link", { name: "Open" })).toHaveAttribute("href", shareUrl);

    await app.user.click(within(share).getByRole("button", { name: "Copy link" }));
    expect(await screen.findByText("Link copied")).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(shareUrl);

    await app.user.click(consent);
    await waitFor(() => expect(shares).toEqual([{ gallery: false }, { gallery: true }]));
    expect(consent).toBeChecked();

    await app.user.click(within(share).getByRole("button", { name: "Stop sharing" }));
    expect(await screen.findByText("Sharing stopped")).toBeInTheDocument();
    expect(stopped).toBe(true);
    expect(within(share).queryByRole("textbox", { name: "Share link" })).not.toBeInTheDocument();
    expect(within(share).getByRole("button", { name: "Create link" })).toBeInTheDocument();
    expect(consent).not.toBeChecked();
  });
});
