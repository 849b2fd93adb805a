import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Generation } from "../api/types";
import { imageFile, renderApp } from "../test/renderApp";
import { completed, makeGeneration, server, signedInHandlers, url } from "../test/server";

async function openDashboard(credits = 30) {
  server.use(...signedInHandlers({ credits }));
  const app = renderApp("/dashboard");
  await screen.findByRole("button", { name: "Generate · 10 credits" });
  await waitFor(() =>
    expect(within(screen.getByTestId("credits-card")).getByText(String(credits))).toBeInTheDocument(),
  );
  await app.user.upload(screen.getByLabelText("Portrait photo"), imageFile("me.jpg", "image/jpeg"));
  return app;
}

const wishes = () => screen.getByRole("textbox", { name: /Your wishes/ });

describe("the creative options", () => {
  it("show the cost before generating: the model's price times the variations", async () => {
    const app = await openDashboard();
    expect(screen.getByText("Each transformation uses 10 credits.")).toBeInTheDocument();

    await app.user.click(screen.getByText(/More options/));
    await app.user.click(screen.getByRole("radio", { name: "3" }));
    expect(screen.getByRole("button", { name: "Generate · 30 credits" })).toBeEnabled();
    expect(screen.getByText("3 variations × 10 credits = 30 credits.")).toBeInTheDocument();

    await app.user.selectOptions(screen.getByRole("combobox", { name: "Model" }), "pro");
    const generate = screen.getByRole("button", { name: "Generate · 75 credits" });
    expect(generate).toBeDisabled();
    const reason = screen.getByText(/You need 75 credits for this and have 30/);
    expect(within(reason).getByRole("link", { name: "Get credits" })).toHaveAttribute("href", "/pricing");
  });

  it("count the wishes' characters, keep them on one line and refuse more than 300", async () => {
    const app = await openDashboard();
    await app.user.click(wishes());
    await app.user.paste("red cape\nblue boots");
    expect(wishes()).toHaveValue("red cape blue boots");
    expect(screen.getByText("19/300 characters")).toBeInTheDocument();

    fireEvent.change(wishes(), { target: { value: "x".repeat(301) } });
    expect(screen.getByText("301/300 characters: shorten your wishes by 1.")).toBeInTheDocument();
    expect(wishes()).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("button", { name: "Generate · 10 credits" })).toBeDisabled();
    expect(screen.getByText("Shorten your wishes to 300 characters to generate.")).toBeInTheDocument();

    await app.user.clear(wishes());
    expect(screen.getByRole("button", { name: "Generate · 10 credits" })).toBeEnabled();
  });

  it("send wishes, shape, model and variations, show the variations together and refine one", async () => {
    const batch = [1, 2].map((n) =>
      makeGeneration({ id: `gen_v${n}`, batchId: "batch_1", aspectRatio: "9:16", prompt: "a red cape" }),
    );
    const refined = makeGeneration({ id: "gen_refined", parentId: "gen_v2", prompt: "make the mask gold" });
    let sent: FormData | undefined;
    let refineBody: unknown;
    let refinedPolls = 0;
    const app = await openDashboard();
    server.use(
      http.post(url("/generations"), async ({ request }) => {
        sent = await request.formData();
        return HttpResponse.json(
          { success: true, generation: batch[0], generations: batch, remainingCredits: 10 },
          { status: 202 },
        );
      }),
      http.get(url("/generations/:id"), ({ params }) => {
        const found = [...batch, refined].find((generation) => generation.id === params.id) as Generation;
        if (found.id === refined.id) {
          refinedPolls += 1;
          return HttpResponse.json(refinedPolls < 2 ? found : completed(found));
        }
        return HttpResponse.json(completed(found));
      }),
      http.post(url("/generations/gen_v2/refine"), async ({ request }) => {
        refineBody = await request.json();
        return HttpResponse.json(
          { success: true, generation: refined, generations: [refined], remainingCredits: 0 },
          { status: 202 },
        );
      }),
    );

    await app.user.type(wishes(), "a red cape");
    await app.user.click(screen.getByRole("radio", { name: /Story \/ wallpaper/ }));
    await app.user.click(screen.getByText(/More options/));
    await app.user.click(screen.getByRole("radio", { name: "2" }));
    await app.user.click(screen.getByRole("button", { name: "Generate · 20 credits" }));

    const variations = await screen.findByRole("group", { name: "Your variations" }, { timeout: 8000 });
    expect(sent?.get("prompt")).toBe("a red cape");
    expect(sent?.get("aspectRatio")).toBe("9:16");
    expect(sent?.get("variations")).toBe("2");
    expect(sent?.get("model")).toBe("standard");
    const choices = within(variations).getAllByRole("button");
    expect(choices).toHaveLength(2);
    expect(choices[0]).toHaveAttribute("aria-pressed", "true");
    await app.user.click(within(variations).getByRole("button", { name: "Variation 2" }));
    expect(choices[1]).toHaveAttribute("aria-pressed", "true");
    const result = screen.getByTestId("generation-result");
    expect(within(result).getByRole("img", { name: "Superhero portrait" })).toHaveAttribute(
      "src",
      completed(batch[1] as Generation).generatedImageUrl,
    );

    await app.user.click(within(result).getByRole("button", { name: "Refine" }));
    await app.user.type(within(result).getByRole("textbox", { name: "What should change?" }), "make the mask gold");
    await app.user.click(within(result).getByRole("button", { name: "Refine · 10 credits" }));

    const chain = await screen.findByRole("navigation", { name: "Refinements" }, { timeout: 8000 });
    expect(refineBody).toEqual({ instruction: "make the mask gold" });
    expect(within(chain).getByRole("link", { name: /First result/ })).toHaveAttribute("href", "/gallery/gen_v2");
    expect(within(chain).getByText(/Refined: make the mask gold/)).toBeInTheDocument();
  });
});
