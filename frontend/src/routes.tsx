import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import type { RouteObject } from "react-router";
import { RequireAdmin, RequireAuth } from "./auth/RequireAuth";
import { AppShell } from "./components/AppShell";
import { PageLoading } from "./components/PageLoading";
import { HomePage } from "./pages/HomePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RouteError } from "./pages/RouteError";

/**
 * A page loaded only when first shown. Only the shell and the landing page are in the bundle every visitor
 * downloads; each other page (and what only it uses: the operators' charts, the gallery's viewer, the billing
 * history) comes in its own small file when it is opened.
 */
function lazyPage<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
): LazyExoticComponent<ComponentType> {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const LoginPage = lazyPage(() => import("./pages/LoginPage"), "LoginPage");
const RegisterPage = lazyPage(() => import("./pages/RegisterPage"), "RegisterPage");
const ForgotPasswordPage = lazyPage(() => import("./pages/ForgotPasswordPage"), "ForgotPasswordPage");
const ResetPasswordPage = lazyPage(() => import("./pages/ResetPasswordPage"), "ResetPasswordPage");
const VerifyEmailPage = lazyPage(() => import("./pages/VerifyEmailPage"), "VerifyEmailPage");
const PricingPage = lazyPage(() => import("./pages/PricingPage"), "PricingPage");
const ExplorePage = lazyPage(() => import("./pages/ExplorePage"), "ExplorePage");
const DashboardPage = lazyPage(() => import("./pages/DashboardPage"), "DashboardPage");
const GalleryPage = lazyPage(() => import("./pages/GalleryPage"), "GalleryPage");
const AccountPage = lazyPage(() => import("./pages/AccountPage"), "AccountPage");
const BillingPage = lazyPage(() => import("./pages/BillingPage"), "BillingPage");
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
