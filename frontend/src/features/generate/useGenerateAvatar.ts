import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, messageOf } from "../../api/errors";
import { invalidateAfterGenerationChange, queryKeys, useClientConfig, useGeneration } from "../../api/queries";
import type { Generation, UserStats } from "../../api/types";
import { createGeneration } from "../../api/upload";
import { notifyGenerationComplete, notifyGenerationFailed, notifyInsufficientCredits } from "../../lib/notify";
import { newIdempotencyKey } from "./idempotency";

export type GenerationPhase =
  | { kind: "idle" }
  | { kind: "uploading"; progress: number; startedAt: number }
  | { kind: "generating"; generationId: string; remainingCredits: number; startedAt: number }
  | { kind: "completed"; generation: Generation; remainingCredits: number }
  | { kind: "failed"; message: string; generation?: Generation };

/** What this hook itself decides; once a generation exists, its outcome comes from polling the API. */
type Step =
  | { kind: "idle" }
  | { kind: "uploading"; progress: number; startedAt: number }
  | { kind: "tracking"; generationId: string; remainingCredits: number; startedAt: number }
  | { kind: "refused"; message: string };

export interface GenerateRequest {
  file: File;
  style: string;
  credits: number;
}

function phaseOf(step: Step, polled: ReturnType<typeof useGeneration>): GenerationPhase {
  if (step.kind === "refused") return { kind: "failed", message: step.message };
  if (step.kind !== "tracking") return step;
  const generation = polled.data;
  if (polled.isError) return { kind: "failed", message: messageOf(polled.error) };
  if (generation?.id === step.generationId && generation.status === "completed") {
    return { kind: "completed", generation, remainingCredits: step.remainingCredits };
  }
  if (generation?.id === step.generationId && generation.status === "failed") {
    return { kind: "failed", message: generation.errorMessage ?? "The transformation failed.", generation };
  }
  return {
    kind: "generating",
    generationId: step.generationId,
    remainingCredits: step.remainingCredits,
    startedAt: step.startedAt,
  };
}

/**
 * The whole life of one transformation: upload (with progress), then polling until the model is done,
 * then the toast that tells the person how it went.
 */
export function useGenerateAvatar({ onNeedCredits }: { onNeedCredits: () => void }) {
  const queryClient = useQueryClient();
  // Unknown while the API's prices load (or if they can't be): then the API alone decides, answering 402.
  const generationCost = useClientConfig().data?.generationCost;
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const inFlight = useRef(false);
  const announced = useRef<string | null>(null);

  const polled = useGeneration(step.kind === "tracking" ? step.generationId : null);
  const phase = phaseOf(step, polled);

  // Each generation's outcome is announced once, however often this renders.
  const outcomeId =
    step.kind === "tracking" && (phase.kind === "completed" || phase.kind === "failed") ? step.generationId : null;
  useEffect(() => {
    if (outcomeId === null || announced.current === outcomeId) return;
    announced.current = outcomeId;
    if (phase.kind === "completed") {
      notifyGenerationComplete(phase.remainingCredits);
    } else if (phase.kind === "failed") {
      notifyGenerationFailed(phase.message);
    }
    void invalidateAfterGenerationChange(queryClient);
  }, [outcomeId, phase, queryClient]);

  const start = useCallback(
    async ({ file, style, credits }: GenerateRequest) => {
      if (inFlight.current) return;
      if (generationCost !== undefined && credits < generationCost) {
        notifyInsufficientCredits(onNeedCredits, generationCost);
        return;
      }
      inFlight.current = true;
      const startedAt = Date.now();
      setStep({ kind: "uploading", progress: 0, startedAt });
      try {
        const accepted = await createGeneration({
          file,
          style,
          idempotencyKey: newIdempotencyKey(),
          onUploadProgress: (progress) =>
            setStep((current) => (current.kind === "uploading" ? { ...current, progress } : current)),
        });
        queryClient.setQueryData<UserStats>(queryKeys.stats, (stats) =>
          stats ? { ...stats, credits: accepted.remainingCredits } : stats,
        );
        queryClient.setQueryData(queryKeys.generation(accepted.generation.id), accepted.generation);
        void queryClient.invalidateQueries({ queryKey: queryKeys.generations });
        setStep({
          kind: "tracking",
          generationId: accepted.generation.id,
          remainingCredits: accepted.remainingCredits,
          startedAt,
        });
      } catch (error) {
        if (error instanceof ApiError && error.isInsufficientCredits) {
          notifyInsufficientCredits(onNeedCredits, generationCost);
          setStep({ kind: "idle" });
          // The balance changed behind this page's back (another tab or device): show what really happened.
          void invalidateAfterGenerationChange(queryClient);
        } else if (error instanceof ApiError && error.isUnauthorized) {
          setStep({ kind: "idle" });
        } else {
          const message = messageOf(error);
          notifyGenerationFailed(message);
          setStep({ kind: "refused", message });
        }
      } finally {
        inFlight.current = false;
      }
    },
    [generationCost, onNeedCredits, queryClient],
  );

  const reset = useCallback(() => setStep({ kind: "idle" }), []);

  const busy = phase.kind === "uploading" || phase.kind === "generating";
  return { phase, start, reset, busy };
}
