/**
 * Photos are scaled down in the browser to the largest side the API keeps (`maxImageSide` from `GET /config`)
 * before they are sent: a 12-megapixel phone photo becomes a fraction of its size, which matters on a slow line.
 */

/** A decoded picture, already turned the way its EXIF orientation says. */
export interface DecodedImage {
  width: number;
  height: number;
  /** Something a canvas can draw. */
  source: CanvasImageSource;
  close: () => void;
}

export interface ResizeTools {
  /** Rejects when the browser can't decode the file (HEIC outside Safari, for one). */
  decode: (file: Blob) => Promise<DecodedImage>;
  encode: (image: DecodedImage, width: number, height: number) => Promise<Blob>;
}

export const JPEG_QUALITY = 0.9;

/** The size to scale a picture to so that neither side exceeds `maxSide`; null when it already fits. */
export function scaledSize(width: number, height: number, maxSide: number): { width: number; height: number } | null {
  const longest = Math.max(width, height);
  if (!(maxSide > 0) || longest <= maxSide) return null;
  const scale = maxSide / longest;
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

async function decodeInBrowser(file: Blob): Promise<DecodedImage> {
  if (typeof createImageBitmap !== "function") throw new Error("This browser can't decode images here.");
  // "from-image": turned as the camera recorded it, so a portrait taken upright stays upright.
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  return { width: bitmap.width, height: bitmap.height, source: bitmap, close: () => bitmap.close() };
}

async function encodeInBrowser(image: DecodedImage, width: number, height: number): Promise<Blob> {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("No canvas to draw on.");
  // JPEG has no transparency: what was see-through becomes white rather than black.
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.imageSmoothingQuality = "high";
  context.drawImage(image.source, 0, 0, width, height);
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("The picture couldn't be encoded."))),
      "image/jpeg",
      JPEG_QUALITY,
    );
  });
}

const browserTools: ResizeTools = { decode: decodeInBrowser, encode: encodeInBrowser };

function jpegName(name: string): string {
  const base = name.replace(/\.[^.]*$/, "") || "portrait";
  return `${base}.jpg`;
}

/**
 * The file to send: `file` scaled down to `maxSide` as a JPEG, or `file` itself when it is already small enough,
 * when the browser can't decode it (HEIC is sent as it is; the API converts it) or when scaling wouldn't make it
 * smaller.
 */
export async function fitForUpload(
  file: File,
  maxSide: number | undefined,
  tools: ResizeTools = browserTools,
): Promise<File> {
  if (maxSide === undefined || !(maxSide > 0)) return file;
  let image: DecodedImage;
  try {
    image = await tools.decode(file);
  } catch {
    return file;
  }
  try {
    const size = scaledSize(image.width, image.height, maxSide);
    if (!size) return file;
    const blob = await tools.encode(image, size.width, size.height);
    if (blob.size === 0 || blob.size >= file.size) return file;
    return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
  } catch {
    return file;
  } finally {
    image.close();
  }
}
