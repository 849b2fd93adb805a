import { apiOrigin } from "./client";
import { apiErrorFrom, networkError } from "./errors";
import { reportUnauthorized } from "./session";
import type { AspectRatio, GenerationAccepted } from "./types";

export interface CreateGenerationInput {
  file: File;
  style: string;
  /** The person's own wishes (at most 300 characters, no control characters). */
  prompt?: string;
  aspectRatio?: AspectRatio;
  /** An id from GET /models. */
  model?: string;
  /** How many to make at once (1–4), all charged together. */
  variations?: number;
  /** Makes a retried or double-clicked submission start (and charge) only one generation. */
  idempotencyKey: string;
  /** Fraction of the upload sent, 0..1. */
  onUploadProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST /generations. XMLHttpRequest rather than fetch because only XHR reports upload progress,
 * and a portrait of several megabytes on a phone connection takes long enough to need a progress bar.
 */
export function createGeneration(input: CreateGenerationInput): Promise<GenerationAccepted> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${apiOrigin()}/generations`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Idempotency-Key", input.idempotencyKey);

    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) input.onUploadProgress?.(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        input.onUploadProgress?.(1);
        resolve(body as GenerationAccepted);
        return;
      }
      if (xhr.status === 401) reportUnauthorized();
      reject(apiErrorFrom(xhr.status, body));
    });
    xhr.addEventListener("error", () => reject(networkError()));
    xhr.addEventListener("abort", () => reject(new DOMException("The upload was cancelled.", "AbortError")));

    if (input.signal) {
      if (input.signal.aborted) {
        reject(new DOMException("The upload was cancelled.", "AbortError"));
        return;
      }
      // Settled at once, whether or not the browser gets round to an "abort" event for a request mid-flight.
      input.signal.addEventListener(
        "abort",
        () => {
          xhr.abort();
          reject(new DOMException("The upload was cancelled.", "AbortError"));
        },
        { once: true },
      );
    }

    const form = new FormData();
    form.append("image", input.file, input.file.name || "portrait");
    form.append("style", input.style);
    if (input.prompt) form.append("prompt", input.prompt);
    if (input.aspectRatio) form.append("aspectRatio", input.aspectRatio);
    if (input.model) form.append("model", input.model);
    if (input.variations !== undefined) form.append("variations", String(input.variations));
    xhr.send(form);
  });
}
