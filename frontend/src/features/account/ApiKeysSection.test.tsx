import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { ApiKey } from "../../api/types";
import { renderApp } from "../../test/renderApp";
import { ORIGIN, errorBody, server, signedInHandlers, url } from "../../test/server";

const NEW_KEY = "aiv_Zq3xY8mN2pL5kT9wR4vB7cD1fG6hJ0sA2eU5iO8yX3c";

const scriptKey: ApiKey = {
  id: "key_1",
  name: "nightly backup",
  prefix: "aiv_K2b9xQ1m",
  createdAt: "2026-11-20T09:00:00Z",
  lastUsedAt: "2026-11-22T10:31:00Z",
};

/** The API's keys for this account, changing as the test creates and revokes them. */
function keysApi(initial: ApiKey[]) {
  let keys = [...initial];
  const created: unknown[] = [];
  const revoked: string[] = [];
  server.use(
    http.get(url("/users/me/api-keys"), () => HttpResponse.json({ apiKeys: keys })),
    http.post(url("/users/me/api-keys"), async ({ request }) => {
      const body = (await request.json()) as { name: string };
      created.push(body);
      const key = { id: "key_2", name: body.name, prefix: NEW_KEY.slice(0, 12), createdAt: "2026-11-22T12:00:00Z" };
      keys = [{ ...key, lastUsedAt: null }, ...keys];
      return HttpResponse.json({ ...key, key: NEW_KEY }, { status: 201 });
    }),
    http.delete(url("/users/me/api-keys/:id"), ({ params }) => {
      revoked.push(String(params.id));
      keys = keys.filter((key) => key.id !== params.id);
      return new HttpResponse(null, { status: 204 });
    }),
    ...signedInHandlers(),
  );
  return { created, revoked };
}

const section = () => screen.getByRole("region", { name: "API keys" });
const sectionLoaded = () => screen.findByRole("region", { name: "API keys" });
const keyList = () => within(section()).getByRole("list", { name: "Your keys" });

describe("API keys on the account page", () => {
  it("lists the keys by name and prefix, with when they were last used", async () => {
    keysApi([scriptKey, { ...scriptKey, id: "key_0", name: "old laptop", prefix: "aiv_0ldL4pt0", lastUsedAt: null }]);
    renderApp("/account");
    const rows = await within(await screen.findByRole("list", { name: "Your keys" })).findAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("nightly backup");
    expect(rows[0]).toHaveTextContent("aiv_K2b9xQ1m…");
    expect(rows[0]).toHaveTextContent(/last used/);
    expect(rows[1]).toHaveTextContent("old laptop");
    expect(rows[1]).toHaveTextContent("never used");
  });

  it("creates a key and shows it once, ready to copy, with curl commands that use it", async () => {
    const { created } = keysApi([]);
    const app = renderApp("/account");
    expect(await within(await sectionLoaded()).findByText("No keys yet.")).toBeInTheDocument();

    await app.user.type(within(section()).getByLabelText("Name of a new key"), "  my upload script ");
    await app.user.click(within(section()).getByRole("button", { name: "Create key" }));

    const shown = await screen.findByRole("region", { name: "Your new key “my upload script”" });
    expect(created).toEqual([{ name: "my upload script" }]);
    const field = within(shown).getByLabelText("API key");
    expect(field).toHaveValue(NEW_KEY);
    expect(field).toHaveAttribute("readonly");
    expect(field).toHaveFocus();
    expect(shown).toHaveTextContent("Copy it now: you won't see it again.");
    const commands = [...shown.querySelectorAll("pre")].map((command) => command.textContent);
    expect(commands).toEqual([
      `curl -H "Authorization: Bearer ${NEW_KEY}" ${ORIGIN}/users/me`,
      `curl -H "Authorization: Bearer ${NEW_KEY}" -H "Prefer: wait=60" -F image=@portrait.jpg -F style=superhero ${ORIGIN}/generations`,
    ]);

    await app.user.click(within(shown).getByRole("button", { name: "Copy the API key" }));
    expect(await navigator.clipboard.readText()).toBe(NEW_KEY);
    expect(await screen.findByText("API key copied")).toBeInTheDocument();
    await app.user.click(
      within(shown).getByRole("button", { name: "Copy the command to check who the key signs in as" }),
    );
    expect(await navigator.clipboard.readText()).toBe(`curl -H "Authorization: Bearer ${NEW_KEY}" ${ORIGIN}/users/me`);

    // The list now has it, by name and prefix only.
    await waitFor(() => expect(within(keyList()).getAllByRole("listitem")).toHaveLength(1));
    expect(keyList()).toHaveTextContent(`${NEW_KEY.slice(0, 12)}…`);
    expect(keyList()).not.toHaveTextContent(NEW_KEY);

    await app.user.click(within(shown).getByRole("button", { name: "I've saved my key" }));
    expect(screen.queryByRole("region", { name: /Your new key/ })).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue(NEW_KEY)).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(NEW_KEY);
  });

  it("says so when the account has as many keys as it may", async () => {
    keysApi([scriptKey]);
    server.use(
      http.post(url("/users/me/api-keys"), () =>
        HttpResponse.json(
          {
            ...errorBody("Revoke a key you no longer use first.", "VALIDATION_ERROR"),
            details: [{ loc: ["body"], msg: "At most 20 keys per account.", type: "value_error" }],
          },
          { status: 422 },
        ),
      ),
    );
    const app = renderApp("/account");
    await app.user.type(await within(await sectionLoaded()).findByLabelText("Name of a new key"), "one more");
    await app.user.click(within(section()).getByRole("button", { name: "Create key" }));

    expect(await within(section()).findByRole("alert")).toHaveTextContent(
      "Couldn't create the key. At most 20 keys per account. Revoke a key you no longer use first.",
    );
    expect(screen.queryByRole("region", { name: /Your new key/ })).not.toBeInTheDocument();
  });

  it("revokes a key only after confirmation", async () => {
    const { revoked } = keysApi([scriptKey]);
    const app = renderApp("/account");
    const row = await within(await screen.findByRole("list", { name: "Your keys" })).findByRole("listitem");

    await app.user.click(within(row).getByRole("button", { name: "Revoke nightly backup" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke this key?" });
    expect(dialog).toHaveTextContent("Anything still using “nightly backup” (aiv_K2b9xQ1m…) stops working at once.");
    await app.user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(revoked).toEqual([]);

    await app.user.click(within(row).getByRole("button", { name: "Revoke nightly backup" }));
    await app.user.click(
      within(await screen.findByRole("dialog", { name: "Revoke this key?" })).getByRole("button", {
        name: "Revoke key",
      }),
    );

    expect(await screen.findByText("Key revoked")).toBeInTheDocument();
    expect(revoked).toEqual(["key_1"]);
    expect(await within(section()).findByText("No keys yet.")).toBeInTheDocument();
  });
});
