import { toast } from "sonner";

export const GENERATION_COST = 10;

/** The toasts the product speaks in; one place so the wording stays the same on every path. */
export function notifyInsufficientCredits(goToPricing: () => void) {
  toast.error("Insufficient credits", {
    id: "insufficient-credits",
    description: `You need ${GENERATION_COST} credits. Upgrade your plan to continue.`,
    action: { label: "View Plans", onClick: goToPricing },
  });
}

export function notifyGenerationComplete(remainingCredits: number) {
  toast.success("Superhero transformation complete!", {
    description: `${remainingCredits} credits remaining`,
  });
}

export function notifyGenerationFailed(message: string | null | undefined) {
  toast.error("Generation Failed", {
    description: message || "The transformation didn't work this time. Please try another photo.",
  });
}
