import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, messageOf } from "../../api/errors";
import { invalidateAfterGenerationChange, queryKeys, useStats } from "../../api/queries";
import type { UserStats } from "../../api/types";
import { notifyGenerationFailed, notifyInsufficientCredits } from "../../lib/notify";
import { newIdempotencyKey } from "../generate/idempotency";
import { batchOf } from "../generate/useGenerateAvatar";
import type { StartFromResult } from "./ResultActions";

/**
 * Starting a refinement or another style from a result in the gallery: once the API has accepted it, the
 * gallery opens the new generation, which shows its progress until it is done.
 */
export function useStartFromGallery(): { start: StartFromResult; busy: boolean } {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const credits = useStats().data?.credits;
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const goToPricing = useCallback(() => navigate("/pricing"), [navigate]);

  const start: StartFromResult = (cost, submit) => {
    if (inFlight.current) return;
    if (cost !== undefined && credits !== undefined && credits < cost) {
      notifyInsufficientCredits(goToPricing, cost);
      return;
    }
    inFlight.current = true;
    setBusy(true);
    submit(newIdempotencyKey())
      .then((accepted) => {
        queryClient.setQueryData<UserStats>(queryKeys.stats, (stats) =>
          stats ? { ...stats, credits: accepted.remainingCredits } : stats,
        );
        for (const generation of batchOf(accepted)) {
          queryClient.setQueryData(queryKeys.generation(generation.id), generation);
        }
        void invalidateAfterGenerationChange(queryClient);
        navigate(`/gallery/${encodeURIComponent(accepted.generation.id)}`);
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.isInsufficientCredits) {
          notifyInsufficientCredits(goToPricing, cost);
          void invalidateAfterGenerationChange(queryClient);
        } else if (!(error instanceof ApiError && error.isUnauthorized)) {
          notifyGenerationFailed(messageOf(error));
        }
      })
      .finally(() => {
        inFlight.current = false;
        setBusy(false);
      });
  };
  return { start, busy };
}
