import type { AdminGeneration, AdminStats, AdminUser, AdminUserDetail } from "../api/types";
import { ledgerEntry } from "./server";

/** An account as the console lists it. */
export function adminUser(overrides: Partial<AdminUser> = {}): AdminUser {
  return {
    id: "0d7c1f0e-5a2b-4c3d-8e9f-a0b1c2d3e4f5",
    email: "alice@example.com",
    credits: 30,
    isActive: true,
    isVerified: true,
    isSuperuser: false,
    plan: null,
    generations: 2,
    createdAt: "2026-11-20T09:00:00Z",
    ...overrides,
  };
}

export function adminGeneration(overrides: Partial<AdminGeneration> = {}): AdminGeneration {
  return {
    id: "gen_1763800000000_aaaa",
    style: "superhero",
    status: "completed",
    errorMessage: null,
    model: "google/gemini-2.5-flash-image",
    costUsd: "0.039",
    creditsUsed: 10,
    createdAt: "2026-11-22T10:30:00Z",
    ...overrides,
  };
}

/** The account page of the console: two generations (one failed), its ledger and no administrators' actions. */
export function adminUserDetail(overrides: Partial<AdminUserDetail> = {}): AdminUserDetail {
  return {
    ...adminUser({ credits: 10 }),
    ledger: [
      ledgerEntry({ id: 3, amount: -10, balanceAfter: 10, reason: "generation", note: null, generationId: "gen_2" }),
      ledgerEntry({ id: 2, amount: -10, balanceAfter: 20, reason: "generation", note: null, generationId: "gen_1" }),
      ledgerEntry({ id: 1, amount: 30, balanceAfter: 30, reason: "signup", note: "welcome credits" }),
    ],
    recentGenerations: [
      adminGeneration({
        id: "gen_2",
        status: "failed",
        errorMessage: "The model returned no image.",
        costUsd: null,
        createdAt: "2026-11-22T11:00:00Z",
      }),
      adminGeneration({ id: "gen_1" }),
    ],
    adminActions: [],
    ...overrides,
  };
}

/** Thirty days of the service: two busy days, three styles, evenings popular. */
export function adminStats(overrides: Partial<AdminStats> = {}): AdminStats {
  const byHour = Array.from({ length: 24 }, () => 0);
  byHour[9] = 3;
  byHour[20] = 12;
  byHour[21] = 5;
  return {
    days: 30,
    generations: { total: 20, completed: 18, failed: 1, pending: 1 },
    successRate: 0.9474,
    generationSeconds: { avg: 8.4, p50: 7.9, p95: 14.25 },
    creditsSpent: 200,
    creditsRefunded: 10,
    creditsPurchased: 400,
    revenueCents: 3998,
    providerCostUsd: 0.741,
    marginCents: 3924,
    signups: 7,
    activeUsers: 5,
    retention: { firstGeneration: 4, returned: 3 },
    byStyle: { superhero: 12, marvel: 6, dc: 2 },
    byHour,
    byDay: [
      { day: "2026-11-21", completed: 8, failed: 1, creditsSpent: 90, creditsPurchased: 100 },
      { day: "2026-11-22", completed: 10, failed: 0, creditsSpent: 110, creditsPurchased: 300 },
    ],
    ...overrides,
  };
}
