import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/errors";
import { LoadFailed } from "./LoadFailed";

describe("LoadFailed", () => {
  it("says what could not be loaded and asks again when told how", async () => {
    const retry = vi.fn();
    render(<LoadFailed what="Your purchases" onRetry={retry} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent(/^Your purchases couldn't be loaded\. Try again$/);
    await userEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it("gives the server's reason when there is an error to tell", () => {
    const error = new ApiError(503, "SERVICE_UNAVAILABLE", "The database is not answering.");
    render(<LoadFailed what="The gallery" error={error} />);
    expect(screen.getByRole("alert")).toHaveTextContent(
      /^The gallery couldn't be loaded: The database is not answering\.$/,
    );
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });
});
