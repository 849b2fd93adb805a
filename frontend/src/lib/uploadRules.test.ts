import { describe, expect, it } from "vitest";
import { clientConfig } from "../test/server";
import { acceptAttribute, checkUpload, formatBytes, formatNames, uploadHint, type UploadLimits } from "./uploadRules";

const file = (name: string, type: string, size = 1024) => ({ name, type, size });
const MB = 1024 * 1024;

// What `GET /config` answers with the backend's default settings.
const limits: UploadLimits = clientConfig;

describe("checkUpload", () => {
  it.each([
    ["portrait.jpg", "image/jpeg"],
    ["portrait.png", "image/png"],
    ["portrait.webp", "image/webp"],
    ["IMG_0001.HEIC", "image/heic"],
    ["IMG_0001.heif", "image/heif"],
  ])("accepts %s (%s)", (name, type) => {
    expect(checkUpload(file(name, type), limits)).toEqual({ ok: true });
  });

  it.each([
    ["IMG_0001.HEIC", ""],
    ["IMG_0002.heic", "application/octet-stream"],
    ["IMG_0003.heif", ""],
    ["photo.JPG", ""],
    ["photo.jfif", ""],
  ])("accepts %s when the browser reports the type %j, by its extension", (name, type) => {
    expect(checkUpload(file(name, type), limits)).toEqual({ ok: true });
  });

  it.each([
    ["animation.gif", "image/gif"],
    ["drawing.svg", "image/svg+xml"],
    ["notes.txt", "text/plain"],
    ["notes.txt", ""],
    ["scan.pdf", "application/pdf"],
    ["no-extension", ""],
  ])("refuses %s (%j) with a message naming the formats that work", (name, type) => {
    const check = checkUpload(file(name, type), limits);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toMatch(/Choose a JPEG, PNG, WebP or HEIC photo\.$/);
  });

  it("takes the accepted types, and the extensions it falls back on, from the limits it is given", () => {
    const jpegOnly = { ...limits, acceptedTypes: ["image/jpeg"] };
    expect(checkUpload(file("photo.jpg", "image/jpeg"), jpegOnly)).toEqual({ ok: true });
    expect(checkUpload(file("photo.JPEG", ""), jpegOnly)).toEqual({ ok: true });
    expect(checkUpload(file("photo.png", "image/png"), jpegOnly)).toEqual({
      ok: false,
      message: ".png files can't be used. Choose a JPEG photo.",
    });
    expect(checkUpload(file("IMG_0001.HEIC", ""), jpegOnly).ok).toBe(false);

    const withAvif = { ...limits, acceptedTypes: [...limits.acceptedTypes, "image/avif"] };
    expect(checkUpload(file("photo.avif", "image/avif"), withAvif)).toEqual({ ok: true });
    expect(checkUpload(file("photo.avif", ""), withAvif)).toEqual({ ok: true });
    expect(checkUpload(file("photo.avif", "image/avif"), limits).ok).toBe(false);
  });

  it("accepts a photo of exactly the API's limit and refuses one byte more, saying how big it is", () => {
    const tenMb = { ...limits, maxUploadBytes: 10 * MB };
    expect(checkUpload(file("big.jpg", "image/jpeg", 10 * MB), tenMb)).toEqual({ ok: true });
    expect(checkUpload(file("huge.jpg", "image/jpeg", 12.4 * MB), tenMb)).toEqual({
      ok: false,
      message: `This photo is 12.4 MB; the limit is ${formatBytes(10 * MB)}. Choose a smaller photo.`,
    });
    expect(checkUpload(file("big.jpg", "image/jpeg", 10 * MB + 1), tenMb)).toEqual({
      ok: false,
      message: `This photo is just over the limit of ${formatBytes(10 * MB)}. Choose a smaller photo.`,
    });
  });

  it("names whatever limit the API states", () => {
    const oneMb = { ...limits, maxUploadBytes: 1 * MB };
    expect(checkUpload(file("photo.jpg", "image/jpeg", 2 * MB), oneMb)).toEqual({
      ok: false,
      message: "This photo is 2 MB; the limit is 1 MB. Choose a smaller photo.",
    });
    expect(checkUpload(file("photo.jpg", "image/jpeg", 1.5 * MB), { ...limits, maxUploadBytes: 2.5 * MB })).toEqual({
      ok: true,
    });
  });

  it("refuses an empty file", () => {
    expect(checkUpload(file("empty.png", "image/png", 0), limits)).toEqual({
      ok: false,
      message: "This file is empty. Choose another photo.",
    });
  });

  it("leaves types and sizes to the API while its limits are unknown, but still refuses an empty file", () => {
    expect(checkUpload(file("animation.gif", "image/gif"))).toEqual({ ok: true });
    expect(checkUpload(file("huge.jpg", "image/jpeg", 500 * MB))).toEqual({ ok: true });
    expect(checkUpload(file("empty.png", "image/png", 0)).ok).toBe(false);
  });
});

describe("the words and attributes derived from the limits", () => {
  it("names each accepted format once", () => {
    expect(formatNames(limits.acceptedTypes)).toBe("JPEG, PNG, WebP or HEIC");
    expect(formatNames(["image/png"])).toBe("PNG");
    expect(formatNames(["image/jpeg", "image/png"])).toBe("JPEG or PNG");
    expect(formatNames(["image/jpeg", "image/jxl"])).toBe("JPEG or JXL");
  });

  it("gives the file input image/*, the types and, for browsers that know no type, their extensions", () => {
    expect(acceptAttribute({ maxUploadBytes: MB, acceptedTypes: ["image/png", "image/webp"] })).toBe(
      "image/*,image/png,image/webp,.png,.webp",
    );
    const accept = acceptAttribute(limits).split(",");
    for (const entry of ["image/jpeg", "image/heic", ".jpg", ".jpeg", ".heic", ".heif", ".png", ".webp"]) {
      expect(accept).toContain(entry);
    }
  });

  it("sums them up in a hint", () => {
    expect(uploadHint({ maxUploadBytes: 8 * MB, acceptedTypes: ["image/jpeg", "image/png", "image/webp"] })).toBe(
      "JPEG, PNG or WebP, up to 8 MB",
    );
  });

  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(812 * 1024)).toBe("812 KB");
    expect(formatBytes(12.4 * MB)).toBe("12.4 MB");
    expect(formatBytes(8 * MB)).toBe("8 MB");
  });
});
