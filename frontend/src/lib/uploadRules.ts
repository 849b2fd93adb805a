/**
 * The API's upload limits, checked before sending so a person learns at once, not after a long upload.
 * The limits themselves come from the API (`GET /config`): nothing here repeats the server's numbers.
 */
export interface UploadLimits {
  /** The largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** Media types of the photos accepted. */
  acceptedTypes: readonly string[];
}

/** How people know the formats, and the file extensions they come with, by media type. */
const KNOWN_TYPES: Record<string, { name: string; extensions: string[] }> = {
  "image/jpeg": { name: "JPEG", extensions: ["jpg", "jpeg", "jfif"] },
  "image/jpg": { name: "JPEG", extensions: ["jpg", "jpeg"] },
  "image/pjpeg": { name: "JPEG", extensions: ["jpg", "jpeg"] },
  "image/png": { name: "PNG", extensions: ["png"] },
  "image/webp": { name: "WebP", extensions: ["webp"] },
  "image/heic": { name: "HEIC", extensions: ["heic"] },
  "image/heif": { name: "HEIC", extensions: ["heif"] },
  "image/heic-sequence": { name: "HEIC", extensions: ["heics"] },
  "image/heif-sequence": { name: "HEIC", extensions: ["heifs"] },
  "image/avif": { name: "AVIF", extensions: ["avif"] },
  "image/gif": { name: "GIF", extensions: ["gif"] },
  "image/tiff": { name: "TIFF", extensions: ["tif", "tiff"] },
  "image/bmp": { name: "BMP", extensions: ["bmp"] },
};

/** A type this file doesn't know yet ("image/jxl"): named and matched by its subtype. */
function describeType(type: string): { name: string; extensions: string[] } {
  const known = KNOWN_TYPES[type];
  if (known) return known;
  const subtype = (type.split("/")[1] ?? "").split("+")[0] ?? "";
  return { name: subtype.toUpperCase(), extensions: subtype ? [subtype] : [] };
}

// Browsers report no type (or a generic one) for formats they don't know, which is how iPhone photos
// often arrive on desktop browsers; for those the file name is all there is to go on.
const UNKNOWN_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream"]);

const normalised = (types: readonly string[]) => [...new Set(types.map((type) => type.trim().toLowerCase()))];

/** The file extensions that go with the accepted types, for files whose type the browser doesn't know. */
export function acceptedExtensions(types: readonly string[]): string[] {
  return [...new Set(normalised(types).flatMap((type) => describeType(type).extensions))];
}

/** "JPEG, PNG, WebP or HEIC": the accepted formats as people know them, each once. */
export function formatNames(types: readonly string[], conjunction = "or"): string {
  const names = [...new Set(normalised(types).map((type) => describeType(type).name))].filter(Boolean);
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} ${conjunction} ${names[names.length - 1]}`;
}

/**
 * For the file input's `accept`: `image/*` first, which is what makes a phone offer its camera as well as its photo
 * library, then the API's types for browsers that know them and their extensions for those that don't. A photo the
 * API can't take is still refused as it is chosen (`checkUpload`).
 */
export function acceptAttribute(limits: UploadLimits): string {
  const types = normalised(limits.acceptedTypes);
  return ["image/*", ...types, ...acceptedExtensions(types).map((ext) => `.${ext}`)].join(",");
}

/** The formats and the size limit in a few words, e.g. "JPEG, PNG or WebP, up to 8 MB". */
export function uploadHint(limits: UploadLimits): string {
  return `${formatNames(limits.acceptedTypes)}, up to ${formatBytes(limits.maxUploadBytes)}`;
}

export type UploadCheck = { ok: true } | { ok: false; message: string };

function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/** "812 KB", "12.4 MB", "8 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}

/**
 * Whether the API will take this file. Without `limits` (the API's settings haven't arrived, or couldn't be
 * loaded) only what is always true is checked: the server checks everything anyway.
 */
export function checkUpload(file: Pick<File, "name" | "type" | "size">, limits?: UploadLimits): UploadCheck {
  if (limits) {
    const types = new Set(normalised(limits.acceptedTypes));
    const type = file.type.toLowerCase();
    const extension = extensionOf(file.name);
    const acceptedType =
      types.has(type) || (UNKNOWN_TYPES.has(type) && acceptedExtensions([...types]).includes(extension));
    if (!acceptedType) {
      const what = extension ? `.${extension} files` : "This file type";
      return { ok: false, message: `${what} can't be used. Choose a ${formatNames([...types])} photo.` };
    }
  }
  if (file.size === 0) {
    return { ok: false, message: "This file is empty. Choose another photo." };
  }
  if (limits && file.size > limits.maxUploadBytes) {
    const size = formatBytes(file.size);
    const limit = formatBytes(limits.maxUploadBytes);
    return {
      ok: false,
      message:
        size === limit
          ? `This photo is just over the limit of ${limit}. Choose a smaller photo.`
          : `This photo is ${size}; the limit is ${limit}. Choose a smaller photo.`,
    };
  }
  return { ok: true };
}
