import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { startBackend } from "./backend";
import { buildIfNeeded } from "./build";

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(frontendDir, "..");

declare module "vitest" {
  export interface ProvidedContext {
    baseURL: string;
    databaseURL: string;
  }
}

export default async function setup(project: TestProject) {
  buildIfNeeded(frontendDir);
  const backend = await startBackend({ repoRoot, distDir: path.join(frontendDir, "dist") });
  project.provide("baseURL", backend.baseURL);
  project.provide("databaseURL", backend.databaseURL);
  return async () => {
    await backend.stop();
  };
}
