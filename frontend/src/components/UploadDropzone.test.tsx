import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import type { UploadLimits } from "../lib/uploadRules";
import { imageFile } from "../test/renderApp";
import { clientConfig } from "../test/server";
import { UploadDropzone } from "./UploadDropzone";

const MB = 1024 * 1024;

function Harness({
  onChange,
  limits = clientConfig,
}: {
  onChange: (file: File | null) => void;
  /** null: the limits aren't known (yet). */
  limits?: UploadLimits | null;
}) {
  const [file, setFile] = useState<File | null>(null);
  return (
    <UploadDropzone
      file={file}
      limits={limits ?? undefined}
      onFileChange={(next) => {
        setFile(next);
        onChange(next);
      }}
    />
  );
}

// user-event's upload honours `accept`; applyAccept: false lets a test hand over what a drag or an OS picker could.
const setup = () => userEvent.setup({ applyAccept: false });

describe("UploadDropzone", () => {
  it("takes a JPEG from the picker and shows its preview", async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const photo = imageFile("me.jpg", "image/jpeg");
    await setup().upload(screen.getByLabelText("Portrait photo"), photo);
    expect(onChange).toHaveBeenCalledWith(photo);
    expect(screen.getByAltText("Preview of the selected portrait")).toBeInTheDocument();
    expect(screen.getByText("me.jpg")).toBeInTheDocument();
  });

  it("empties its input after each choice, so choosing the same photo again is noticed", async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const input = screen.getByLabelText<HTMLInputElement>("Portrait photo");
    const photo = imageFile("me.jpg", "image/jpeg");
    const user = setup();
    await user.upload(input, photo);
    expect(input.value).toBe("");
    await user.upload(input, photo);
    expect(onChange).toHaveBeenCalledTimes(2);
  });

  it("takes an iPhone HEIC photo whose type the browser left empty", async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const photo = imageFile("IMG_4711.HEIC", "");
    await setup().upload(screen.getByLabelText("Portrait photo"), photo);
    expect(onChange).toHaveBeenCalledWith(photo);
    // As in Chrome or Firefox, which can't draw HEIC.
    fireEvent.error(screen.getByAltText("Preview of the selected portrait"));
    expect(screen.getByRole("img", { name: "Selected photo IMG_4711.HEIC" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("refuses a file over the API's limit before anything is sent, and says why", async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} limits={{ ...clientConfig, maxUploadBytes: 3 * MB }} />);
    await setup().upload(screen.getByLabelText("Portrait photo"), imageFile("huge.png", "image/png", 4 * MB));
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("This photo is 4 MB; the limit is 3 MB.");
  });

  it("describes the API's formats and limit, and offers them to the file picker", () => {
    render(
      <Harness onChange={vi.fn()} limits={{ ...clientConfig, acceptedTypes: ["image/png"], maxUploadBytes: 2 * MB }} />,
    );
    const input = screen.getByLabelText("Portrait photo");
    expect(input).toHaveAccessibleDescription("PNG, up to 2 MB. A clear, front-facing photo works best.");
    // image/* lets a phone offer its camera next to the photo library; nothing forces the camera (no `capture`).
    expect(input).toHaveAttribute("accept", "image/*,image/png,.png");
    expect(input).not.toHaveAttribute("capture");
  });

  it("takes any photo while the limits are unknown, without naming formats or sizes", async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} limits={null} />);
    const input = screen.getByLabelText("Portrait photo");
    expect(input).toHaveAccessibleDescription("A clear, front-facing photo works best.");
    expect(input).not.toHaveAttribute("accept");
    const photo = imageFile("big.jpg", "image/jpeg", 3 * MB);
    await setup().upload(input, photo);
    expect(onChange).toHaveBeenCalledWith(photo);
  });

  it("checks a photo chosen before the limits arrived as soon as they do", async () => {
    const onChange = vi.fn();
    const view = render(<Harness onChange={onChange} limits={null} />);
    const photo = imageFile("big.jpg", "image/jpeg", 3 * MB);
    await setup().upload(screen.getByLabelText("Portrait photo"), photo);
    expect(onChange).toHaveBeenLastCalledWith(photo);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();

    view.rerender(<Harness onChange={onChange} limits={{ ...clientConfig, maxUploadBytes: 1 * MB }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("This photo is 3 MB; the limit is 1 MB.");
    expect(screen.getByLabelText("Portrait photo")).toHaveAttribute("aria-invalid", "true");
  });

  it("refuses a GIF dropped onto it", () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    fireEvent.drop(screen.getByTestId("upload-dropzone"), {
      dataTransfer: { files: [imageFile("party.gif", "image/gif")] },
    });
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent(
      ".gif files can't be used. Choose a JPEG, PNG, WebP or HEIC photo.",
    );
  });

  it("takes a dropped WebP", () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const photo = imageFile("me.webp", "image/webp");
    fireEvent.drop(screen.getByTestId("upload-dropzone"), { dataTransfer: { files: [photo] } });
    expect(onChange).toHaveBeenCalledWith(photo);
  });

  it("takes an image pasted anywhere on the page", () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const photo = imageFile("pasted.png", "image/png");
    const paste = new Event("paste", { bubbles: true, cancelable: true });
    Object.assign(paste, { clipboardData: { items: [{ kind: "file", getAsFile: () => photo }] } });
    document.body.dispatchEvent(paste);
    expect(onChange).toHaveBeenCalledWith(photo);
  });

  it("clears the choice with Remove", async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const user = setup();
    await user.upload(screen.getByLabelText("Portrait photo"), imageFile("me.jpg", "image/jpeg"));
    await user.click(screen.getByRole("button", { name: "Remove" }));
    expect(onChange).toHaveBeenLastCalledWith(null);
    expect(screen.queryByAltText("Preview of the selected portrait")).not.toBeInTheDocument();
  });
});
