import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import type {
  Billing,
  ClientConfig,
  Generation,
  ImageModel,
  LedgerEntry,
  Plan,
  Style,
  User,
  UserStats,
} from "../api/types";

export const ORIGIN = "http://localhost:3000";
export const url = (path: string) => `${ORIGIN}${path}`;

/** The API's prices and limits, as `GET /config` states them with the backend's default settings. */
export const clientConfig: ClientConfig = {
  generationCost: 10,
  signupCredits: 30,
  maxUploadBytes: 10 * 1024 * 1024,
  acceptedTypes: [
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/heic-sequence",
    "image/heif-sequence",
  ],
  maxImageSide: 2048,
  generationsPerMinute: 5,
  thumbnailSize: 320,
  minImageSide: 256,
  sendsEmail: false,
};

/** `GET /config` answering `overrides` on top of the defaults. */
export const configHandler = (overrides: Partial<ClientConfig> = {}) =>
  http.get(url("/config"), () => HttpResponse.json({ ...clientConfig, ...overrides }));

/** The plans for sale, as `GET /billing/plans` states them with the backend's default settings. */
export const plans: Plan[] = [
  {
    id: "basic",
    name: "Basic",
    kind: "subscription",
    priceCents: 999,
    currency: "usd",
    interval: "month",
    credits: 100,
    priority: false,
    contactUrl: null,
  },
  {
    id: "pro",
    name: "Pro",
    kind: "subscription",
    priceCents: 2999,
    currency: "usd",
    interval: "month",
    credits: 300,
    priority: true,
    contactUrl: null,
  },
  {
    id: "pack-50",
    name: "50 credits",
    kind: "one_time",
    priceCents: 599,
    currency: "usd",
    interval: null,
    credits: 50,
    priority: false,
    contactUrl: null,
  },
  {
    id: "enterprise",
    name: "Enterprise",
    kind: "contact",
    priceCents: null,
    currency: "usd",
    interval: null,
    credits: 0,
    priority: false,
    contactUrl: "mailto:sales@aivenger.example",
  },
];

export const plansHandler = (answer: Plan[] = plans) =>
  http.get(url("/billing/plans"), () => HttpResponse.json({ plans: answer }));

/** The image models, as `GET /models` states them: the backend's default one and a dearer one. */
export const models: ImageModel[] = [
  { id: "standard", name: "Gemini 2.5 Flash Image", description: "Fast and faithful.", credits: 10 },
  { id: "pro", name: "Pro Studio", description: "More detail, slower.", credits: 25 },
];

export const modelsHandler = (answer: ImageModel[] = models) =>
  http.get(url("/models"), () => HttpResponse.json({ models: answer }));

export function ledgerEntry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: 1,
    amount: 30,
    balanceAfter: 30,
    reason: "signup",
    note: "welcome credits",
    generationId: null,
    createdAt: "2026-11-22T10:00:00Z",
    ...overrides,
  };
}

export const user: User = {
  id: "7b0c5a4e-4a1e-4a55-9a53-0d2f4c1d9e01",
  email: "hero@example.com",
  is_active: true,
  is_superuser: false,
  is_verified: false,
  credits: 30,
};

export const styles: Style[] = [
  { id: "superhero", name: "Epic Superhero", description: "A heroic costume and cinematic lighting." },
  { id: "marvel", name: "Marvel Cinematic", description: "A tactical suit with metallic accents." },
  { id: "dc", name: "DC Dark Knight", description: "A classic caped costume and noir lighting." },
];

export function makeGeneration(overrides: Partial<Generation> = {}): Generation {
  const id = overrides.id ?? "gen_1763800000000_6f1c2d3e";
  return {
    id,
    userId: user.id,
    style: "superhero",
    status: "pending",
    originalImageUrl: `/media/originals/${id}.jpg?expires=1&signature=a`,
    originalThumbnailUrl: `/media/thumbs/${id}-original.webp?expires=1&signature=d`,
    generatedImageUrl: null,
    thumbnailUrl: null,
    creditsUsed: 10,
    errorMessage: null,
    model: "standard",
    createdAt: "2026-11-22T10:30:00Z",
    updatedAt: "2026-11-22T10:30:00Z",
    ...overrides,
  };
}

export function completed(generation: Generation): Generation {
  return {
    ...generation,
    status: "completed",
    generatedImageUrl: `/media/results/${generation.id}.png?expires=1&signature=b`,
    thumbnailUrl: `/media/thumbs/${generation.id}.webp?expires=1&signature=c`,
    updatedAt: "2026-11-22T10:30:08Z",
  };
}

export function stats(overrides: Partial<UserStats> = {}): UserStats {
  return { credits: 30, totalGenerations: 0, lastGenerationDate: null, ...overrides };
}

export const errorBody = (error: string, code: string) => ({ success: false, error, code });

/**
 * A signed-in person with `credits`, no generations and no API keys yet: the API as a fresh account sees it
 * (an administrator's with `admin`).
 */
export function signedInHandlers({ credits = 30, admin = false }: { credits?: number; admin?: boolean } = {}) {
  const billing: Billing = { credits, plan: null };
  return [
    http.get(url("/users/me"), () => HttpResponse.json({ ...user, credits, is_superuser: admin })),
    http.get(url("/users/me/api-keys"), () => HttpResponse.json({ apiKeys: [] })),
    http.get(url("/user/stats"), () => HttpResponse.json(stats({ credits }))),
    http.get(url("/styles"), () => HttpResponse.json({ styles })),
    http.get(url("/generations"), () => HttpResponse.json({ generations: [], count: 0, nextCursor: null })),
    http.get(url("/billing"), () => HttpResponse.json(billing)),
    http.get(url("/billing/purchases"), () => HttpResponse.json({ purchases: [] })),
    http.get(url("/credits/ledger"), () =>
      HttpResponse.json({ entries: [ledgerEntry({ amount: credits, balanceAfter: credits })], nextCursor: null }),
    ),
  ];
}

export const signedOutHandlers = [
  http.get(url("/users/me"), () => HttpResponse.json(errorBody("Unauthorized", "UNAUTHORIZED"), { status: 401 })),
  http.get(url("/styles"), () => HttpResponse.json({ styles })),
];

/**
 * Every test starts with `GET /config`, `GET /billing/plans` and `GET /models` answering the defaults;
 * `server.use(configHandler({...}))` overrides them.
 */
export const server = setupServer(configHandler(), plansHandler(), modelsHandler());
