import { describe, expect, it } from "vitest";
import { checkUpload, MAX_UPLOAD_BYTES } from "./uploadRules";

const file = (name: string, type: string, size = 1024) => ({ name, type, size });

describe("checkUpload", () => {
  it.each([
    ["portrait.jpg", "image/jpeg"],
    ["portrait.png", "image/png"],
    ["portrait.webp", "image/webp"],
    ["IMG_0001.HEIC", "image/heic"],
    ["IMG_0001.heif", "image/heif"],
  ])("accepts %s (%s)", (name, type) => {
    expect(checkUpload(file(name, type))).toEqual({ ok: true });
  });

  it.each([
    ["IMG_0001.HEIC", ""],
    ["IMG_0002.heic", "application/octet-stream"],
    ["IMG_0003.heif", ""],
    ["photo.JPG", ""],
  ])("accepts %s when the browser reports the type %j, by its extension", (name, type) => {
    expect(checkUpload(file(name, type))).toEqual({ ok: true });
  });

  it.each([
    ["animation.gif", "image/gif"],
    ["drawing.svg", "image/svg+xml"],
    ["notes.txt", "text/plain"],
    ["notes.txt", ""],
    ["scan.pdf", "application/pdf"],
    ["no-extension", ""],
  ])("refuses %s (%j) with a message naming the formats that work", (name, type) => {
    const check = checkUpload(file(name, type));
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toMatch(/JPEG, PNG, WebP or HEIC/);
  });

  it("accepts a photo of exactly 10 MB and refuses one byte more, saying how big it is", () => {
    expect(checkUpload(file("big.jpg", "image/jpeg", MAX_UPLOAD_BYTES))).toEqual({ ok: true });
    const tooBig = checkUpload(file("huge.jpg", "image/jpeg", 12.4 * 1024 * 1024));
    expect(tooBig).toEqual({
      ok: false,
      message: "This photo is 12.4 MB; the limit is 10 MB. Choose a smaller photo.",
    });
    expect(checkUpload(file("big.jpg", "image/jpeg", MAX_UPLOAD_BYTES + 1)).ok).toBe(false);
  });

  it("refuses an empty file", () => {
    expect(checkUpload(file("empty.png", "image/png", 0))).toEqual({
      ok: false,
      message: "This file is empty. Choose another photo.",
    });
  });
});
