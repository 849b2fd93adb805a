/** What every failed API call becomes, whatever the transport: the API's one error shape, made throwable. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }

  get isInsufficientCredits(): boolean {
    return this.status === 402 || this.code === "INSUFFICIENT_CREDITS";
  }
}

const FALLBACK_MESSAGES: Record<number, string> = {
  400: "The request could not be processed.",
  401: "Please log in to continue.",
  402: "Insufficient credits. Get a credit pack or a monthly plan to continue.",
  404: "Not found.",
  413: "The file is too large.",
  429: "Too many requests. Please wait a moment and try again.",
};

export const NETWORK_ERROR_MESSAGE = "Can't reach AIVenger right now. Check your connection and try again.";

function isErrorBody(body: unknown): body is { error: string; code: string; details?: unknown } {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { error?: unknown }).error === "string" &&
    typeof (body as { code?: unknown }).code === "string"
  );
}

export function apiErrorFrom(status: number, body: unknown): ApiError {
  if (isErrorBody(body)) return new ApiError(status, body.code, body.error, body.details);
  const message =
    FALLBACK_MESSAGES[status] ??
    (status >= 500 ? "Something went wrong on our side. Please try again." : "Request failed.");
  return new ApiError(status, status >= 500 ? "INTERNAL_ERROR" : "HTTP_ERROR", message);
}

export function networkError(): ApiError {
  return new ApiError(0, "NETWORK_ERROR", NETWORK_ERROR_MESSAGE);
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "Something went wrong. Please try again.";
}

/**
 * The message with the reasons the API gave in `details` (a 422 names the field and the limit), each said once:
 * "At most 20 keys per account. Revoke a key you no longer use first."
 */
export function detailedMessageOf(error: unknown): string {
  const message = messageOf(error);
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return message;
  const reasons = error.details
    .map((detail: unknown) =>
      typeof detail === "object" && detail !== null ? (detail as { msg?: unknown }).msg : null,
    )
    .filter((reason): reason is string => typeof reason === "string" && reason !== "" && !message.includes(reason));
  return [...new Set(reasons), message].map((part) => (/[.!?]$/.test(part) ? part : `${part}.`)).join(" ");
}
