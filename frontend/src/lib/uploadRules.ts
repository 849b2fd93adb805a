/** The API's upload limits, checked before sending so a person learns at once, not after a 10 MB upload. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

const ACCEPTED_TYPES = new Set([
  "image/jpeg",
  "image/jpg",
  "image/pjpeg",
  "image/png",
  "image/webp",
  "image/heic",
  "image/heif",
  "image/heic-sequence",
  "image/heif-sequence",
]);

const ACCEPTED_EXTENSIONS = new Set(["jpg", "jpeg", "jfif", "png", "webp", "heic", "heif"]);

// Browsers report no type (or a generic one) for formats they don't know, which is how iPhone photos
// often arrive on desktop browsers; for those the file name is all there is to go on.
const UNKNOWN_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream"]);

/** For the file input's `accept`: types for browsers that know them, extensions for those that don't. */
export const ACCEPT_ATTRIBUTE = [...ACCEPTED_TYPES, ...[...ACCEPTED_EXTENSIONS].map((ext) => `.${ext}`)].join(",");

export const UPLOAD_HINT = "JPEG, PNG, WebP or HEIC, up to 10 MB";

export type UploadCheck = { ok: true } | { ok: false; message: string };

function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : "";
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function checkUpload(file: Pick<File, "name" | "type" | "size">): UploadCheck {
  const type = file.type.toLowerCase();
  const extension = extensionOf(file.name);
  const acceptedType = ACCEPTED_TYPES.has(type) || (UNKNOWN_TYPES.has(type) && ACCEPTED_EXTENSIONS.has(extension));
  if (!acceptedType) {
    const what = extension ? `.${extension} files` : "This file type";
    return { ok: false, message: `${what} can't be used. Choose a JPEG, PNG, WebP or HEIC photo.` };
  }
  if (file.size === 0) {
    return { ok: false, message: "This file is empty. Choose another photo." };
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    return {
      ok: false,
      message: `This photo is ${formatBytes(file.size)}; the limit is 10 MB. Choose a smaller photo.`,
    };
  }
  return { ok: true };
}
