import { describe, expect, it, vi } from "vitest";
import { fitForUpload, JPEG_QUALITY, scaledSize, type DecodedImage, type ResizeTools } from "./resizeImage";

const MB = 1024 * 1024;
const photo = (name: string, type: string, size: number) => new File([new Uint8Array(size)], name, { type });

/** A stand-in for the browser's decoder and canvas: a picture of the given size, encoded to `encodedSize` bytes. */
function tools({ width = 4000, height = 3000, encodedSize = 600_000, decodes = true } = {}) {
  const close = vi.fn();
  const decode = vi.fn<ResizeTools["decode"]>(async () => {
    if (!decodes) throw new DOMException("The source image could not be decoded.", "InvalidStateError");
    return { width, height, source: {} as CanvasImageSource, close } satisfies DecodedImage;
  });
  const encode = vi.fn<ResizeTools["encode"]>(
    async () => new Blob([new Uint8Array(encodedSize)], { type: "image/jpeg" }),
  );
  return { decode, encode, close };
}

describe("scaledSize", () => {
  it("keeps the longest side at the limit and the shape as it was", () => {
    expect(scaledSize(4000, 3000, 2048)).toEqual({ width: 2048, height: 1536 });
    expect(scaledSize(3000, 4000, 2048)).toEqual({ width: 1536, height: 2048 });
  });

  it("leaves a picture that already fits alone", () => {
    expect(scaledSize(2048, 1024, 2048)).toBeNull();
    expect(scaledSize(800, 600, 2048)).toBeNull();
  });
});

describe("fitForUpload", () => {
  it("sends a large photo scaled down to the API's largest side, as a JPEG", async () => {
    const t = tools();
    const original = photo("IMG_1234.png", "image/png", 5 * MB);
    const sent = await fitForUpload(original, 2048, t);
    expect(t.encode).toHaveBeenCalledWith(expect.anything(), 2048, 1536);
    expect(sent).not.toBe(original);
    expect(sent.name).toBe("IMG_1234.jpg");
    expect(sent.type).toBe("image/jpeg");
    expect(sent.size).toBe(600_000);
    expect(t.close).toHaveBeenCalled();
    expect(JPEG_QUALITY).toBe(0.9);
  });

  it("sends a photo that is small enough as it is", async () => {
    const t = tools({ width: 1200, height: 1600 });
    const original = photo("me.jpg", "image/jpeg", 2 * MB);
    expect(await fitForUpload(original, 2048, t)).toBe(original);
    expect(t.encode).not.toHaveBeenCalled();
    expect(t.close).toHaveBeenCalled();
  });

  it("sends a photo the browser can't decode (HEIC outside Safari) as it is", async () => {
    const t = tools({ decodes: false });
    const original = photo("IMG_0042.HEIC", "image/heic", 3 * MB);
    expect(await fitForUpload(original, 2048, t)).toBe(original);
    expect(t.encode).not.toHaveBeenCalled();
  });

  it("keeps the original when scaling wouldn't make it smaller", async () => {
    const t = tools({ encodedSize: 2 * MB });
    const original = photo("tiny-but-wide.jpg", "image/jpeg", MB);
    expect(await fitForUpload(original, 2048, t)).toBe(original);
  });

  it("doesn't even decode while the API's largest side is unknown", async () => {
    const t = tools();
    const original = photo("me.jpg", "image/jpeg", 5 * MB);
    expect(await fitForUpload(original, undefined, t)).toBe(original);
    expect(t.decode).not.toHaveBeenCalled();
  });
});
