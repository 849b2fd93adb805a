import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import type { ClientConfig, Generation, Style, User, UserStats } from "../api/types";

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
};

/** `GET /config` answering `overrides` on top of the defaults. */
export const configHandler = (overrides: Partial<ClientConfig> = {}) =>
  http.get(url("/config"), () => HttpResponse.json({ ...clientConfig, ...overrides }));

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
    model: null,
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

/** A signed-in person with `credits` and no generations yet: the API as a fresh account sees it. */
export function signedInHandlers({ credits = 30 }: { credits?: number } = {}) {
  return [
    http.get(url("/users/me"), () => HttpResponse.json({ ...user, credits })),
    http.get(url("/user/stats"), () => HttpResponse.json(stats({ credits }))),
    http.get(url("/styles"), () => HttpResponse.json({ styles })),
    http.get(url("/generations"), () => HttpResponse.json({ generations: [], count: 0, nextCursor: null })),
  ];
}

export const signedOutHandlers = [
  http.get(url("/users/me"), () => HttpResponse.json(errorBody("Unauthorized", "UNAUTHORIZED"), { status: 401 })),
  http.get(url("/styles"), () => HttpResponse.json({ styles })),
];

/** Every test starts with `GET /config` answering the defaults; `server.use(configHandler({...}))` overrides it. */
export const server = setupServer(configHandler());
