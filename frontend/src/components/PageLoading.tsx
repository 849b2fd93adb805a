import { Loader2 } from "lucide-react";

export function PageLoading({ label }: { label: string }) {
  return (
    <div className="page-loading" role="status">
      <Loader2 aria-hidden className="spin" size={32} />
      <span>{label}</span>
    </div>
  );
}
