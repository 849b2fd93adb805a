import { messageOf } from "../api/errors";

/** What every page shows when something it reads could not be loaded: "`what` couldn't be loaded", the server's
 * reason when `error` is given, and a way to ask again when `onRetry` is. */
export function LoadFailed({ what, error, onRetry }: { what: string; error?: unknown; onRetry?: () => unknown }) {
  return (
    <p className="notice notice-error" role="alert">
      {what} couldn't be loaded{error === undefined ? "." : `: ${messageOf(error)}`}
      {onRetry && (
        <>
          {" "}
          <button type="button" className="link-button" onClick={() => void onRetry()}>
            Try again
          </button>
        </>
      )}
    </p>
  );
}
