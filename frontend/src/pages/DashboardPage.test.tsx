import { screen, waitFor, within } from "@testing-library/react";
import { delay, http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { formatBytes } from "../lib/uploadRules";
import { imageFile, renderApp } from "../test/renderApp";
import {
  clientConfig,
  completed,
  configHandler,
  errorBody,
  makeGeneration,
  models,
  modelsHandler,
  server,
  signedInHandlers,
  stats,
  url,
  user,
} from "../test/server";

const MB = 1024 * 1024;
const generateButtonNamed = (cost: number) => ({ name: `Generate · ${cost} credits` });
const GENERATE = generateButtonNamed(clientConfig.generationCost);

async function openDashboard({ credits = 30, cost = clientConfig.generationCost } = {}) {
  server.use(...signedInHandlers({ credits }));
  const app = renderApp("/dashboard");
  await screen.findByRole("heading", { name: "Dashboard" });
  await waitFor(() =>
    expect(within(screen.getByTestId("credits-card")).getByText(String(credits))).toBeInTheDocument(),
  );
  await screen.findByRole("button", generateButtonNamed(cost));
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

  it("stays disabled below the cost of a generation, with a way to get more", async () => {
    const app = await openDashboard({ credits: 5 });
    await choosePhoto(app);
    expect(screen.getByRole("button", GENERATE)).toBeDisabled();
    const more = within(screen.getByTestId("credits-card")).getByRole("link", { name: "Get credits" });
    expect(more).toHaveAttribute("href", "/pricing");
    expect(screen.getByText(/You need 10 credits for this/)).toHaveTextContent(
      "You need 10 credits for this and have 5: get a credit pack or a monthly plan. Get credits",
    );
    await app.user.click(within(screen.getByText(/You need 10 credits/)).getByRole("link", { name: "Get credits" }));
    expect(await screen.findByRole("heading", { name: "Plans & pricing" })).toBeInTheDocument();
  });

  it("stays disabled when the chosen file breaks the upload limits", async () => {
    const app = await openDashboard();
    await app.user.upload(
      screen.getByLabelText("Portrait photo"),
      imageFile("huge.jpg", "image/jpeg", clientConfig.maxUploadBytes + 1),
    );
    expect(screen.getByRole("alert")).toHaveTextContent(`the limit of ${formatBytes(clientConfig.maxUploadBytes)}`);
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

  it("rides out an outage while polling: says it is reconnecting, then shows the result it finished with", async () => {
    const pending = makeGeneration({ id: "gen_outage" });
    // No answer at all, then a proxy's 503 while the API restarts, then the generation as it finished meanwhile.
    const answers = [() => HttpResponse.error(), () => new HttpResponse("Service Unavailable", { status: 503 })];
    let polls = 0;
    const app = await openDashboard();
    server.use(
      http.post(url("/generations"), () =>
        HttpResponse.json({ success: true, generation: pending, remainingCredits: 20 }, { status: 202 }),
      ),
      http.get(url(`/generations/${pending.id}`), () => {
        polls += 1;
        return (answers[polls - 1] ?? (() => HttpResponse.json(completed(pending))))();
      }),
    );

    await choosePhoto(app);
    await app.user.click(screen.getByRole("button", GENERATE));
    const status = await screen.findByText("Reconnecting…", {}, { timeout: 8000 });
    expect(status.closest("[role=status]")?.parentElement).toHaveAttribute("aria-live", "polite");
    expect(screen.getByTestId("generation-progress")).toBeInTheDocument();

    await toast("Superhero transformation complete!");
    expect(await screen.findByRole("img", { name: "Superhero portrait" })).toBeInTheDocument();
    expect(screen.queryByTestId("generation-error")).not.toBeInTheDocument();
    expect(screen.queryByText("Generation Failed")).not.toBeInTheDocument();
    expect(screen.queryByText("Reconnecting…")).not.toBeInTheDocument();
    expect(screen.getByText(`Signed in as ${user.email}`)).toBeInTheDocument();
    expect(polls).toBe(answers.length + 1);
  });

  it("cancels an upload on its way, leaving the photo ready for another try and nothing charged", async () => {
    let received = 0;
    const app = await openDashboard();
    server.use(
      http.post(url("/generations"), async () => {
        received += 1;
        await delay("infinite");
        return HttpResponse.json(errorBody("never answered", "internal"), { status: 500 });
      }),
    );
    await choosePhoto(app);
    await app.user.click(screen.getByRole("button", GENERATE));
    const progress = await screen.findByTestId("generation-progress");
    expect(within(progress).getByRole("progressbar", { name: "Upload progress" })).toBeInTheDocument();

    await app.user.click(within(progress).getByRole("button", { name: "Cancel upload" }));
    await waitFor(() => expect(screen.queryByTestId("generation-progress")).not.toBeInTheDocument());
    expect(screen.getByRole("button", GENERATE)).toBeEnabled();
    expect(screen.getByAltText("Preview of the selected portrait")).toBeInTheDocument();
    expect(screen.queryByTestId("generation-error")).not.toBeInTheDocument();
    expect(screen.queryByText("Generation Failed")).not.toBeInTheDocument();
    expect(within(screen.getByTestId("credits-card")).getByText("30")).toBeInTheDocument();
    expect(received).toBeLessThanOrEqual(1);
  });

  it("shows the insufficient-credits toast leading to the plans when the API answers 402", async () => {
    const app = await openDashboard({ credits: 10 });
    server.use(
      http.post(url("/generations"), () =>
        HttpResponse.json(
          errorBody(
            "Insufficient credits. Buy a credit pack or a plan to continue: see GET /billing/plans.",
            "INSUFFICIENT_CREDITS",
          ),
          { status: 402 },
        ),
      ),
    );
    await choosePhoto(app);
    await app.user.click(screen.getByRole("button", GENERATE));

    const title = await toast("Insufficient credits");
    const item = title.closest("[data-sonner-toast]") as HTMLElement;
    expect(item).toHaveTextContent(
      `You need ${clientConfig.generationCost} credits. Get a credit pack or a monthly plan to continue.`,
    );
    expect(item).not.toHaveTextContent(/upgrade/i);
    await app.user.click(within(item).getByRole("button", { name: "Get credits" }));
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

describe("prices and limits", () => {
  it("come from the API: the cost of a generation and the upload limit it states", async () => {
    server.use(
      configHandler({ generationCost: 7, maxUploadBytes: 1 * MB }),
      modelsHandler([{ ...models[0]!, credits: 7 }]),
    );
    const app = await openDashboard({ credits: 30, cost: 7 });
    expect(screen.getByRole("button", generateButtonNamed(7))).toBeDisabled();
    expect(screen.getByLabelText("Portrait photo")).toHaveAccessibleDescription(/, up to 1 MB\./);

    await app.user.upload(screen.getByLabelText("Portrait photo"), imageFile("big.jpg", "image/jpeg", 2 * MB));
    expect(screen.getByRole("alert")).toHaveTextContent(
      "This photo is 2 MB; the limit is 1 MB. Choose a smaller photo.",
    );
    expect(screen.getByRole("button", generateButtonNamed(7))).toBeDisabled();

    await choosePhoto(app, imageFile("small.jpg", "image/jpeg", MB / 2));
    expect(screen.getByRole("button", generateButtonNamed(7))).toBeEnabled();
    expect(screen.getByText("Each transformation uses 7 credits.")).toBeInTheDocument();
  });

  it("let a balance below the API's cost wait for more credits", async () => {
    server.use(configHandler({ generationCost: 7 }), modelsHandler([{ ...models[0]!, credits: 7 }]));
    const app = await openDashboard({ credits: 6, cost: 7 });
    await choosePhoto(app);
    expect(screen.getByRole("button", generateButtonNamed(7))).toBeDisabled();
    expect(screen.getByText(/You need 7 credits for this and have 6:/)).toBeInTheDocument();
  });

  it("are left out, not guessed, while the API's settings load", async () => {
    server.use(
      ...signedInHandlers(),
      http.get(url("/config"), async () => {
        await delay("infinite");
        return HttpResponse.json(clientConfig);
      }),
      http.get(url("/models"), async () => {
        await delay("infinite");
        return HttpResponse.json({ models });
      }),
    );
    const app = renderApp("/dashboard");
    await waitFor(() => expect(within(screen.getByTestId("credits-card")).getByText("30")).toBeInTheDocument());
    expect(screen.getByRole("button", { name: "Generate" })).toBeInTheDocument();
    expect(screen.getByLabelText("Portrait photo")).toHaveAccessibleDescription(
      "A clear, front-facing photo works best.",
    );
    await choosePhoto(app);
    expect(screen.getByText("Ready when you are.")).toBeInTheDocument();
    expect(screen.queryByText(/\d+ credits/)).not.toBeInTheDocument();
  });

  it("apply to a photo chosen before they arrived", async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    server.use(
      ...signedInHandlers(),
      http.get(url("/config"), async () => {
        await answered;
        return HttpResponse.json({ ...clientConfig, maxUploadBytes: 1 * MB });
      }),
    );
    const app = renderApp("/dashboard");
    await waitFor(() => expect(within(screen.getByTestId("credits-card")).getByText("30")).toBeInTheDocument());
    await choosePhoto(app, imageFile("big.jpg", "image/jpeg", 2 * MB));
    expect(screen.getByRole("button", { name: /^Generate/ })).toBeEnabled();

    answer();
    expect(await screen.findByRole("alert")).toHaveTextContent("This photo is 2 MB; the limit is 1 MB.");
    expect(screen.getByRole("button", GENERATE)).toBeDisabled();
  });

  it("don't stop an upload when the API's settings can't be loaded: the API checks it anyway", async () => {
    const pending = makeGeneration({ id: "gen_no_config" });
    let uploaded = false;
    server.use(
      ...signedInHandlers(),
      http.get(url("/config"), () => HttpResponse.json(errorBody("Boom", "INTERNAL_ERROR"), { status: 500 })),
      http.post(url("/generations"), () => {
        uploaded = true;
        return HttpResponse.json({ success: true, generation: pending, remainingCredits: 20 }, { status: 202 });
      }),
      http.get(url(`/generations/${pending.id}`), () => HttpResponse.json(completed(pending))),
    );
    const app = renderApp("/dashboard");
    await waitFor(() => expect(within(screen.getByTestId("credits-card")).getByText("30")).toBeInTheDocument());
    await choosePhoto(app, imageFile("large.jpg", "image/jpeg", 12 * MB));
    await app.user.click(await screen.findByRole("button", { name: /^Generate/ }));
    await toast("Superhero transformation complete!");
    expect(uploaded).toBe(true);
  });
});

describe("recent transformations", () => {
  it("show thumbnails of both the uploaded photo and the result, or the full images where there are none", async () => {
    const done = completed(makeGeneration({ id: "gen_recent" }));
    const old = { ...completed(makeGeneration({ id: "gen_old" })), thumbnailUrl: null, originalThumbnailUrl: null };
    server.use(
      http.get(url("/generations"), () => HttpResponse.json({ generations: [done, old], count: 2, nextCursor: null })),
      ...signedInHandlers(),
    );
    renderApp("/dashboard");
    const strip = await screen.findByRole("region", { name: "Recent Transformations" });
    await waitFor(() => expect(within(strip).getAllByRole("img")).toHaveLength(4));
    const sources = within(strip)
      .getAllByRole("img")
      .map((image) => image.getAttribute("src"));
    expect(sources).toEqual([
      done.originalThumbnailUrl,
      done.thumbnailUrl,
      old.originalImageUrl,
      old.generatedImageUrl,
    ]);
    for (const image of within(strip).getAllByRole("img")) {
      expect(image).toHaveAttribute("loading", "lazy");
      expect(image).toHaveAttribute("decoding", "async");
    }
  });
});
