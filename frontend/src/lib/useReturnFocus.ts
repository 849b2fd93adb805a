import { useEffect, useState } from "react";

/** Puts focus back on `opener` once a dialog is gone, unless the page moved it somewhere on purpose or it left. */
export function returnFocusTo(opener: Element | null): void {
  if (!(opener instanceof HTMLElement) || !opener.isConnected) return;
  const now = document.activeElement;
  if (now && now !== document.body && now.isConnected && !now.closest("dialog")) return;
  opener.focus();
}

/**
 * For a dialog that is open while mounted: remembers what had focus as it opened (read while rendering, before
 * anything inside it takes focus) and returns focus there when it closes.
 */
export function useReturnFocus(): void {
  const [opener] = useState(() => (typeof document === "undefined" ? null : document.activeElement));
  useEffect(() => () => returnFocusTo(opener), [opener]);
}
