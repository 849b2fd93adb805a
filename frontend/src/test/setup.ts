import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { toast } from "sonner";
import { afterAll, afterEach, beforeAll } from "vitest";
import { server } from "./server";

// jsdom lacks a few browser APIs the app relies on; these stand-ins only fill the gaps.
if (typeof URL.createObjectURL !== "function") {
  URL.createObjectURL = () => "blob:http://localhost:3000/preview";
  URL.revokeObjectURL = () => undefined;
}
for (const method of ["setPointerCapture", "releasePointerCapture"] as const) {
  if (typeof Element.prototype[method] !== "function") Element.prototype[method] = () => undefined;
}
if (typeof window.matchMedia !== "function") {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  cleanup();
  // Sonner keeps toasts in a module-wide store and shows the active ones to the next Toaster that mounts:
  // without this, one test's toast would turn up in the next test's page.
  toast.dismiss();
  server.resetHandlers();
});
afterAll(() => server.close());
