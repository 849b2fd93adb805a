import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ledgerEntry } from "../test/server";
import { CreditAmount, LedgerRow } from "./LedgerRow";

const entry = ledgerEntry({ amount: -10, balanceAfter: 20, reason: "generation", note: "gen_123" });

describe("LedgerRow", () => {
  it("says why, when, the amount out with a true minus sign and the balance after it", () => {
    render(
      <ul>
        <LedgerRow entry={entry} label="Transformation" />
      </ul>,
    );
    const row = screen.getByRole("listitem");
    expect(row).toHaveTextContent(/^Transformation.*2026.*−10 credits\s*Balance 20$/);
    expect(row).not.toHaveTextContent("gen_123");
  });

  it("shows the note it is given", () => {
    render(
      <ul>
        <LedgerRow entry={{ ...entry, amount: 15, reason: "admin" }} label="Adjustment" note="goodwill" />
      </ul>,
    );
    expect(screen.getByRole("listitem")).toHaveTextContent(/^Adjustment\s*goodwill.*\+15 credits\s*Balance 20$/);
  });
});

describe("CreditAmount", () => {
  it.each([
    [50, "+50 credits"],
    [-3, "−3 credits"],
    [0, "0 credits"],
  ])("reads %i as %s", (amount, text) => {
    const { container } = render(<CreditAmount amount={amount} />);
    expect(container).toHaveTextContent(text);
  });
});
