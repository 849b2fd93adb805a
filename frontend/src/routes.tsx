import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import type { RouteObject } from "react-router";
import { RequireAdmin, RequireAuth } from "./auth/RequireAuth";
import { AppShell } from "./components/AppShell";
import { PageLoading } from "./components/PageLoading";
import { AccountPage } from "./pages/AccountPage";
import { BillingPage } from "./pages/BillingPage";
import { DashboardPage } from "./pages/DashboardPage";
import { ExplorePage } from "./pages/ExplorePage";
import { ForgotPasswordPage } from "./pages/ForgotPasswordPage";
import { GalleryPage } from "./pages/GalleryPage";
import { HomePage } from "./pages/HomePage";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { PricingPage } from "./pages/PricingPage";
import { RegisterPage } from "./pages/RegisterPage";
import { ResetPasswordPage } from "./pages/ResetPasswordPage";
import { RouteError } from "./pages/RouteError";
import { VerifyEmailPage } from "./pages/VerifyEmailPage";

/** A page loaded only when first shown: the operators' pages and their charts stay out of everyone's download. */
function lazyPage<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
): LazyExoticComponent<ComponentType> {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const ConsoleLayout = lazyPage(() => import("./pages/console/ConsoleLayout"), "ConsoleLayout");
const ConsoleDashboardPage = lazyPage(() => import("./pages/console/ConsoleDashboardPage"), "ConsoleDashboardPage");
const ConsoleUsersPage = lazyPage(() => import("./pages/console/ConsoleUsersPage"), "ConsoleUsersPage");
const ConsoleUserPage = lazyPage(() => import("./pages/console/ConsoleUserPage"), "ConsoleUserPage");

export const routes: RouteObject[] = [
  {
    element: <AppShell />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
          { index: true, element: <HomePage /> },
          { path: "login", element: <LoginPage /> },
          { path: "register", element: <RegisterPage /> },
          { path: "forgot-password", element: <ForgotPasswordPage /> },
          { path: "reset-password", element: <ResetPasswordPage /> },
          { path: "verify-email", element: <VerifyEmailPage /> },
          { path: "pricing", element: <PricingPage /> },
          { path: "explore", element: <ExplorePage /> },
          {
            path: "dashboard",
            element: (
              <RequireAuth>
                <DashboardPage />
              </RequireAuth>
            ),
          },
          {
            path: "gallery/:id?",
            element: (
              <RequireAuth>
                <GalleryPage />
              </RequireAuth>
            ),
          },
          {
            path: "account",
            element: (
              <RequireAuth>
                <AccountPage />
              </RequireAuth>
            ),
          },
          {
            // Not /billing: that path, and every other the API answers itself, is the API's.
            path: "account/billing",
            element: (
              <RequireAuth>
                <BillingPage />
              </RequireAuth>
            ),
          },
          {
            // Not /admin: that path is the API's.
            path: "console",
            element: (
              <RequireAuth>
                <RequireAdmin>
                  <Suspense fallback={<PageLoading label="Opening the console…" />}>
                    <ConsoleLayout />
                  </Suspense>
                </RequireAdmin>
              </RequireAuth>
            ),
            children: [
              { index: true, element: <ConsoleDashboardPage /> },
              { path: "users", element: <ConsoleUsersPage /> },
              { path: "users/:id", element: <ConsoleUserPage /> },
            ],
          },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
