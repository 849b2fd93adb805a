import { toast } from "sonner";

/** The toasts the product speaks in; one place so the wording stays the same on every path. */
export function notifyInsufficientCredits(goToPricing: () => void, generationCost: number | undefined) {
  toast.error("Insufficient credits", {
    id: "insufficient-credits",
    description:
      generationCost === undefined
        ? "You don't have enough credits for a transformation. Get a credit pack or a monthly plan to continue."
        : `You need ${generationCost} credits. Get a credit pack or a monthly plan to continue.`,
    action: { label: "Get credits", onClick: goToPricing },
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
