import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { MAX_UPLOAD_BYTES } from "../lib/uploadRules";
import { imageFile, renderApp } from "../test/renderApp";
import { completed, errorBody, makeGeneration, server, signedInHandlers, stats, url } from "../test/server";

const GENERATE = { name: "Generate Superhero Avatar (10 credits)" };

async function openDashboard({ credits = 30 } = {}) {
  server.use(...signedInHandlers({ credits }));
  const app = renderApp("/dashboard");
  await screen.findByRole("heading", { name: "Dashboard" });
  await waitFor(() =>
    expect(within(screen.getByTestId("credits-card")).getByText(String(credits))).toBeInTheDocument(),
  );
  return app;
}

async function choosePhoto(app: ReturnType<typeof renderApp>, file = imageFile("me.jpg", "image/jpeg")) {
  await app.user.upload(screen.getByLabelText("Portrait photo"), file);
  return file;
}

function toast(title: string) {
  return screen.findByText(title, { selector: "[data-title]" }, { timeout: 8000 });
}

describe("the generate button", () => {
  it("is disabled until a photo is chosen", async () => {
    const app = await openDashboard();
    expect(screen.getByRole("button", GENERATE)).toBeDisabled();
    expect(screen.getByText("Use for generations")).toBeInTheDocument();
    await choosePhoto(app);
    expect(screen.getByRole("button", GENERATE)).toBeEnabled();
  });

  it("stays disabled below 10 credits, with a way to get more", async () => {
    const app = await openDashboard({ credits: 5 });
    await choosePhoto(app);
    expect(screen.getByRole("button", GENERATE)).toBeDisabled();
    const more = within(screen.getByTestId("credits-card")).getByRole("link", { name: /Get more credits/ });
    expect(more).toHaveAttribute("href", "/pricing");
  });

  it("stays disabled when the chosen file breaks the upload limits", async () => {
    const app = await openDashboard();
    await app.user.upload(
      screen.getByLabelText("Portrait photo"),
      imageFile("huge.jpg", "image/jpeg", MAX_UPLOAD_BYTES + 1),
    );
    expect(screen.getByRole("alert")).toHaveTextContent("the limit is 10 MB");
    expect(screen.getByRole("button", GENERATE)).toBeDisabled();
  });
});

describe("generating", () => {
  it("uploads, polls until completed and toasts the remaining credits", async () => {
    const pending = makeGeneration();
    let polls = 0;
    let credits = 30;
    let sentStyle: FormDataEntryValue | null = null;
    const app = await openDashboard();
    server.use(
      http.get(url("/user/stats"), () => HttpResponse.json(stats({ credits, totalGenerations: polls >= 2 ? 1 : 0 }))),
      http.post(url("/generations"), async ({ request }) => {
        sentStyle = (await request.formData()).get("style");
        credits -= 10;
        return HttpResponse.json(
          { success: true, generation: pending, remainingCredits: 20 },
          { status: 202, headers: { Location: `/generations/${pending.id}` } },
        );
      }),
      http.get(url(`/generations/${pending.id}`), () => {
        polls += 1;
        return HttpResponse.json(polls < 2 ? pending : completed(pending));
      }),
    );

    await choosePhoto(app);
    await app.user.click(screen.getByRole("radio", { name: /Marvel Cinematic/ }));
    await app.user.click(screen.getByRole("button", GENERATE));

    const title = await toast("Superhero transformation complete!");
    expect(title.closest("[data-sonner-toast]")).toHaveTextContent("20 credits remaining");
    expect(sentStyle).toBe("marvel");
    expect(await screen.findByRole("img", { name: "Superhero portrait" })).toHaveAttribute(
      "src",
      completed(pending).generatedImageUrl,
    );
    expect(within(screen.getByTestId("credits-card")).getByText("20")).toBeInTheDocument();
  });

  it("shows the insufficient-credits toast with View Plans when the API answers 402", async () => {
    const app = await openDashboard({ credits: 10 });
    server.use(
      http.post(url("/generations"), () =>
        HttpResponse.json(errorBody("Insufficient credits. Upgrade your plan to continue.", "INSUFFICIENT_CREDITS"), {
          status: 402,
        }),
      ),
    );
    await choosePhoto(app);
    await app.user.click(screen.getByRole("button", GENERATE));

    const title = await toast("Insufficient credits");
    const item = title.closest("[data-sonner-toast]") as HTMLElement;
    expect(item).toHaveTextContent("You need 10 credits. Upgrade your plan to continue.");
    await app.user.click(within(item).getByRole("button", { name: "View Plans" }));
    expect(await screen.findByRole("heading", { name: "Plans & pricing" })).toBeInTheDocument();
    expect(app.router.state.location.pathname).toBe("/pricing");
  });

  it("shows the generation's error message when it fails", async () => {
    const pending = makeGeneration({ id: "gen_2" });
    const message = "There is nothing to transform in this picture: it looks blank. Try a photo of a person.";
    const app = await openDashboard();
    server.use(
      http.post(url("/generations"), () =>
        HttpResponse.json({ success: true, generation: pending, remainingCredits: 20 }, { status: 202 }),
      ),
      http.get(url(`/generations/${pending.id}`), () =>
        HttpResponse.json({ ...pending, status: "failed", errorMessage: message }),
      ),
    );
    await choosePhoto(app);
    await app.user.click(screen.getByRole("button", GENERATE));

    const title = await toast("Generation Failed");
    expect(title.closest("[data-sonner-toast]")).toHaveTextContent(message);
    expect(screen.getByTestId("generation-error")).toHaveTextContent(message);
  });

  it("shows the API's message when the upload itself is refused", async () => {
    const app = await openDashboard();
    server.use(
      http.post(url("/generations"), () =>
        HttpResponse.json(errorBody("Unsupported image format. Use JPEG, PNG, WebP or HEIC.", "UPLOAD_FAILED"), {
          status: 415,
        }),
      ),
    );
    await choosePhoto(app);
    await app.user.click(screen.getByRole("button", GENERATE));
    const title = await toast("Generation Failed");
    expect(title.closest("[data-sonner-toast]")).toHaveTextContent("Unsupported image format.");
  });
});
