import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { isOutage } from "../api/outage";
import { PageLoading } from "../components/PageLoading";
import { NotForYouPage } from "../pages/NotForYouPage";
import { loginPathFor } from "./redirects";
import { useMe } from "./useAuth";

export function RequireAuth({ children }: { children: ReactNode }) {
  const location = useLocation();
  const me = useMe();

  // Signed in stays signed in until the API says otherwise (a 401): a refresh that failed, during an outage or
  // not, leaves the page as it was.
  if (me.data) return children;
  if (me.data === null) return <Navigate to={loginPathFor(location)} replace />;
  // Nobody known yet and the API out of reach: wait for it (the page says it is reconnecting).
  if (me.isError && !isOutage(me.error)) throw me.error;
  return <PageLoading label="Checking your hero credentials…" />;
}

/**
 * The operators' pages, for administrators only. Everyone else is told so, and never downloads those pages:
 * they load only once this lets them through.
 */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <PageLoading label="Checking your hero credentials…" />;
  if (!me.data?.is_superuser) return <NotForYouPage />;
  return children;
}
