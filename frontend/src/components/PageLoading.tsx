import { Loader2 } from "lucide-react";

/** `delayed`: shown only if the wait lasts (a page's code usually arrives before anyone would notice a spinner). */
export function PageLoading({ label, delayed = false }: { label: string; delayed?: boolean }) {
  return (
    <div className={delayed ? "page-loading page-loading-delayed" : "page-loading"} role="status">
      <Loader2 aria-hidden className="spin" size={32} />
      <span>{label}</span>
    </div>
  );
}
