import { screen, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { renderApp } from "../test/renderApp";
import { server, signedOutHandlers, styles, url } from "../test/server";

describe("the landing page's examples", () => {
  it("show a before and after, and each of the API's styles with its sample, or a placeholder when it has none", async () => {
    const added = { id: "noir", name: "Pulp Noir", description: "Ink, rain and a trench coat." };
    server.use(
      http.get(url("/styles"), () => HttpResponse.json({ styles: [...styles, added] })),
      ...signedOutHandlers,
    );
    renderApp("/");

    const examples = await screen.findByRole("region", { name: "Before & after" });
    const before = within(examples).getAllByRole("img", { name: /^Before:/ });
    const after = within(examples).getAllByRole("img", { name: /^After:/ });
    expect(before.length).toBeGreaterThan(0);
    expect(after).toHaveLength(before.length);
    for (const image of [...before, ...after]) {
      expect(image).toHaveAttribute("width");
      expect(image).toHaveAttribute("height");
    }

    const cards = await screen.findAllByTestId("style-card");
    expect(cards.map((card) => within(card).getByRole("heading").textContent)).toEqual(
      [...styles, added].map((style) => style.name),
    );
    for (const card of cards.slice(0, styles.length)) {
      const image = within(card).getByRole("img");
      expect(image).toHaveAttribute("loading", "lazy");
      expect(image.getAttribute("src")).toMatch(/^\/examples\/.+\.webp$/);
    }
    expect(within(cards[styles.length] as HTMLElement).queryByRole("img")).not.toBeInTheDocument();
    expect(within(cards[styles.length] as HTMLElement).getByText(added.description)).toBeInTheDocument();
  });
});
