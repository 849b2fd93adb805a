import { useQueries, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, messageOf } from "../../api/errors";
import { generationQuery, invalidateAfterGenerationChange, queryKeys } from "../../api/queries";
import type { AspectRatio, Generation, GenerationAccepted, UserStats } from "../../api/types";
import { createGeneration } from "../../api/upload";
import { fitForUpload } from "../../lib/resizeImage";
import { notifyGenerationComplete, notifyGenerationFailed, notifyInsufficientCredits } from "../../lib/notify";
import { newIdempotencyKey } from "./idempotency";

export type GenerationPhase =
  | { kind: "idle" }
  | { kind: "uploading"; progress: number; startedAt: number }
  | { kind: "generating"; remainingCredits?: number; startedAt: number }
  | {
      kind: "completed";
      /** The first completed generation of the request. */
      generation: Generation;
      /** Every generation of the request (its variations), in the order the API gave them. */
      batch: Generation[];
      remainingCredits: number;
    }
  | { kind: "failed"; message: string; generation?: Generation };

/** What this hook itself decides; once generations exist, their outcome comes from polling the API. */
type Step =
  | { kind: "idle" }
  | { kind: "uploading"; progress: number; startedAt: number }
  | { kind: "sending"; startedAt: number }
  | { kind: "tracking"; generationIds: string[]; remainingCredits: number; startedAt: number }
  | { kind: "refused"; message: string };

export interface GenerateOptions {
  prompt?: string;
  aspectRatio?: AspectRatio;
  model?: string;
  variations?: number;
}

export interface GenerateRequest extends GenerateOptions {
  file: File;
  style: string;
  credits: number;
  /** What the request costs in all (a model's price × variations), when known. */
  cost?: number;
  /** The largest side the API keeps (GET /config): a larger photo is scaled down before it is sent. */
  maxImageSide?: number;
}

const isAbort = (error: unknown) => error instanceof DOMException && error.name === "AbortError";

type Polled = { data?: Generation; isError: boolean; error: unknown }[];

function phaseOf(step: Step, polled: Polled): GenerationPhase {
  if (step.kind === "refused") return { kind: "failed", message: step.message };
  if (step.kind === "sending") return { kind: "generating", startedAt: step.startedAt };
  if (step.kind !== "tracking") return step;
  const broken = polled.find((query) => query.isError);
  if (broken) return { kind: "failed", message: messageOf(broken.error) };
  const batch = step.generationIds.map((id, index) => {
    const data = polled[index]?.data;
    return data?.id === id ? data : undefined;
  });
  const pending = batch.some((generation) => generation === undefined || generation.status === "pending");
  if (pending) return { kind: "generating", remainingCredits: step.remainingCredits, startedAt: step.startedAt };
  const finished = batch.filter((generation): generation is Generation => generation !== undefined);
  const first = finished.find((generation) => generation.status === "completed");
  if (first) return { kind: "completed", generation: first, batch: finished, remainingCredits: step.remainingCredits };
  const failed = finished[0];
  return { kind: "failed", message: failed?.errorMessage ?? "The transformation failed.", generation: failed };
}

/** Every generation a request started; an answer without the list (an older API) started just the one. */
export function batchOf(accepted: GenerationAccepted): Generation[] {
  const all: Generation[] | undefined = accepted.generations;
  return all && all.length > 0 ? all : [accepted.generation];
}

/**
 * The whole life of one request for portraits: upload (with progress) or a request from an earlier result,
 * then polling until the model is done with every variation, then the toast that tells the person how it went.
 */
export function useGenerateAvatar({ onNeedCredits }: { onNeedCredits: () => void }) {
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const inFlight = useRef(false);
  const uploadAbort = useRef<AbortController | null>(null);
  const announced = useRef<string | null>(null);

  const ids = step.kind === "tracking" ? step.generationIds : [];
  const polled = useQueries({ queries: ids.map((id) => generationQuery(id)) });
  const phase = phaseOf(step, polled);

  // Each request's outcome is announced once, however often this renders.
  const outcomeId =
    step.kind === "tracking" && (phase.kind === "completed" || phase.kind === "failed")
      ? step.generationIds.join(",")
      : null;
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

  /** Sends a request that starts generations (`submit`), then follows them. `cost` is checked first when known. */
  const run = useCallback(
    async (
      { credits, cost, upload }: { credits: number; cost?: number; upload: boolean },
      submit: (
        idempotencyKey: string,
        onUploadProgress: (fraction: number) => void,
        signal: AbortSignal,
      ) => Promise<GenerationAccepted>,
    ) => {
      if (inFlight.current) return;
      if (cost !== undefined && credits < cost) {
        notifyInsufficientCredits(onNeedCredits, cost);
        return;
      }
      inFlight.current = true;
      const controller = new AbortController();
      uploadAbort.current = controller;
      const startedAt = Date.now();
      setStep(upload ? { kind: "uploading", progress: 0, startedAt } : { kind: "sending", startedAt });
      try {
        const accepted = await submit(
          newIdempotencyKey(),
          (progress) => setStep((current) => (current.kind === "uploading" ? { ...current, progress } : current)),
          controller.signal,
        );
        queryClient.setQueryData<UserStats>(queryKeys.stats, (stats) =>
          stats ? { ...stats, credits: accepted.remainingCredits } : stats,
        );
        const batch = batchOf(accepted);
        for (const generation of batch) queryClient.setQueryData(queryKeys.generation(generation.id), generation);
        void queryClient.invalidateQueries({ queryKey: queryKeys.generations });
        setStep({
          kind: "tracking",
          generationIds: batch.map((generation) => generation.id),
          remainingCredits: accepted.remainingCredits,
          startedAt,
        });
      } catch (error) {
        if (isAbort(error)) {
          // Cancelled before the API had the whole photo: nothing was started, nothing charged.
          setStep({ kind: "idle" });
        } else if (error instanceof ApiError && error.isInsufficientCredits) {
          notifyInsufficientCredits(onNeedCredits, cost);
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
        uploadAbort.current = null;
      }
    },
    [onNeedCredits, queryClient],
  );

  const start = useCallback(
    ({ file, style, credits, cost, maxImageSide, ...options }: GenerateRequest) =>
      run({ credits, cost, upload: true }, async (idempotencyKey, onUploadProgress, signal) => {
        const image = await fitForUpload(file, maxImageSide);
        if (signal.aborted) throw new DOMException("The upload was cancelled.", "AbortError");
        return createGeneration({ file: image, style, ...options, idempotencyKey, onUploadProgress, signal });
      }),
    [run],
  );

  const reset = useCallback(() => setStep({ kind: "idle" }), []);

  /** Stops a photo on its way to the API; once it has arrived, the generation is under way and stays so. */
  const cancelUpload = useCallback(() => uploadAbort.current?.abort(), []);

  const busy = phase.kind === "uploading" || phase.kind === "generating";
  return { phase, start, run, reset, busy, cancelUpload };
}
