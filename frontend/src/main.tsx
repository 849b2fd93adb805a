import "@fontsource/bangers/400.css";
import "@fontsource-variable/inter";
import "./styles/global.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, RouterProvider } from "react-router";
import { clientConfigQuery } from "./api/queries";
import { Providers } from "./Providers";
import { createQueryClient } from "./queryClient";
import { routes } from "./routes";

const router = createBrowserRouter(routes);
const queryClient = createQueryClient();
// Prices and limits are on most pages: ask for them while the first page is still loading its own data.
void queryClient.prefetchQuery(clientConfigQuery);

const container = document.getElementById("root");
if (!container) throw new Error("index.html has no #root element");

createRoot(container).render(
  <StrictMode>
    <Providers queryClient={queryClient}>
      <RouterProvider router={router} />
    </Providers>
  </StrictMode>,
);
