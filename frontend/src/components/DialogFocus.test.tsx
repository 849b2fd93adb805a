import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { ConfirmDialog } from "./ConfirmDialog";
import { Modal } from "./Modal";

function WithConfirm() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Delete it
      </button>
      <ConfirmDialog
        open={open}
        title="Delete it?"
        confirmLabel="Delete forever"
        onConfirm={() => setOpen(false)}
        onCancel={() => setOpen(false)}
      >
        <p>Gone for good.</p>
      </ConfirmDialog>
    </>
  );
}

function WithModal() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Share
      </button>
      {open && (
        <Modal title="Share it" onClose={() => setOpen(false)}>
          <button type="button" autoFocus>
            Copy link
          </button>
        </Modal>
      )}
    </>
  );
}

describe("dialogs give focus back to what opened them", () => {
  it("a confirmation, cancelled or confirmed", async () => {
    const user = userEvent.setup();
    render(<WithConfirm />);
    const opener = screen.getByRole("button", { name: "Delete it" });
    await user.click(opener);
    screen.getByRole("button", { name: "Cancel", hidden: true }).focus();
    await user.click(screen.getByRole("button", { name: "Cancel", hidden: true }));
    expect(opener).toHaveFocus();

    await user.click(opener);
    await user.click(screen.getByRole("button", { name: "Delete forever", hidden: true }));
    expect(opener).toHaveFocus();
  });

  it("a modal, once it is closed", async () => {
    const user = userEvent.setup();
    render(<WithModal />);
    const opener = screen.getByRole("button", { name: "Share" });
    await user.click(opener);
    expect(screen.getByRole("button", { name: "Copy link" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("button", { name: "Copy link" })).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });
});
