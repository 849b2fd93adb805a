import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { queryKeys } from "../api/queries";
import { onUnauthorized } from "../api/session";

/**
 * Turns any 401 into "nobody is signed in". Protected pages then redirect to /login on their own,
 * remembering where the person was.
 */
export function SessionWatcher() {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        if (queryClient.getQueryData(queryKeys.me) !== null) queryClient.setQueryData(queryKeys.me, null);
      }),
    [queryClient],
  );
  return null;
}
