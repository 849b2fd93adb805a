import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { useSyncExternalStore, type ReactNode } from "react";
import { Toaster } from "sonner";
import { SessionWatcher } from "./auth/SessionWatcher";

const PHONE = "(max-width: 600px)";

function subscribeToWidth(onChange: () => void) {
  const query = window.matchMedia(PHONE);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

/** Toasts sit where the thumb is on a phone, and out of the way of the header on a desktop. */
function useToastPosition() {
  const phone = useSyncExternalStore(
    subscribeToWidth,
    () => window.matchMedia(PHONE).matches,
    () => false,
  );
  return phone ? "bottom-center" : "bottom-right";
}

function Toasts() {
  return (
    <Toaster
      position={useToastPosition()}
      richColors
      closeButton
      duration={6000}
      toastOptions={{ className: "toast" }}
    />
  );
}

export function Providers({ queryClient, children }: { queryClient: QueryClient; children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionWatcher />
      {children}
      <Toasts />
    </QueryClientProvider>
  );
}
