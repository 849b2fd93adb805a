import { useQueryClient } from "@tanstack/react-query";
import { Loader2 } from "lucide-react";
import { useCallback, useSyncExternalStore } from "react";
import { isReconnecting } from "../api/outage";
import styles from "./ConnectionStatus.module.css";

/** True while some query waits to ask again because the API could not be reached. */
export function useReconnecting(): boolean {
  const cache = useQueryClient().getQueryCache();
  const subscribe = useCallback((onChange: () => void) => cache.subscribe(onChange), [cache]);
  const snapshot = () => isReconnecting(cache.getAll().map((query) => query.state));
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

/**
 * Says so while the API is out of reach, and goes away once it answers again. The polite live region is always
 * there (empty most of the time), so screen readers announce the words when they appear; the status itself exists
 * only while there is one to give.
 */
export function ConnectionStatus() {
  const reconnecting = useReconnecting();
  return (
    <div aria-live="polite">
      {reconnecting && (
        <p role="status" className={styles.banner} data-testid="reconnecting">
          <Loader2 aria-hidden className="spin" size={18} />
          <strong>Reconnecting…</strong>
          <span>Can't reach AIVenger right now; this page catches up as soon as it's back.</span>
        </p>
      )}
    </div>
  );
}
