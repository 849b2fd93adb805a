import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface RunningBackend {
  baseURL: string;
  /** Its database, for the operators' commands (`python -m app.admin ...`) run beside it. */
  databaseURL: string;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(baseURL: string, child: ChildProcess, log: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`The backend exited with code ${child.exitCode} before it was ready:\n${log()}`);
    }
    try {
      const response = await fetch(`${baseURL}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The backend did not become healthy within ${timeoutMs / 1000}s:\n${log()}`);
}

/**
 * The real backend, as in production but on throwaway state: a fresh SQLite database and media folder in a
 * temporary directory, the offline image model and checkout, and the SPA served from `distDir`.
 */
export async function startBackend({
  repoRoot,
  distDir,
  env: extraEnv = {},
  host = "127.0.0.1",
}: {
  repoRoot: string;
  distDir: string;
  /** Settings on top of the throwaway defaults. */
  env?: Record<string, string>;
  /** The name the browser uses for it (it always listens on 127.0.0.1). */
  host?: string;
}): Promise<RunningBackend> {
  const venvBin = path.join(repoRoot, ".venv", "bin");
  if (!existsSync(path.join(venvBin, "uvicorn"))) {
    throw new Error(`No backend environment at ${venvBin}: create the virtualenv and install the backend first.`);
  }
  const stateDir = mkdtempSync(path.join(tmpdir(), "aivenger-e2e-"));
  const port = await freePort();
  const baseURL = `http://${host}:${port}`;
  const databaseURL = `sqlite+aiosqlite:///${path.join(stateDir, "db.sqlite")}`;
  const env = {
    ...process.env,
    APP_ENV: "test",
    DATABASE_URL: databaseURL,
    STORAGE_BACKEND: "local",
    STORAGE_DIR: path.join(stateDir, "media"),
    FRONTEND_DIST: distDir,
    AI_PROVIDER: "local",
    // The offline checkout, where no money moves, whatever a developer's .env says.
    PAYMENTS_PROVIDER: "local",
    PUBLIC_URL: baseURL,
    // Empty means the in-process queue, whatever a developer's .env says.
    TASK_BROKER_URL: "",
    // Every browser in these tests signs up and logs in from this one address.
    SIGNUP_LIMIT_PER_IP_PER_HOUR: "100000",
    LOGIN_LIMIT_PER_IP_PER_HOUR: "100000",
    ...extraEnv,
  };

  const migrate = spawnSync(path.join(venvBin, "alembic"), ["upgrade", "head"], {
    cwd: repoRoot,
    env,
    encoding: "utf8",
  });
  if (migrate.status !== 0) {
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`alembic upgrade head failed:\n${migrate.stdout}\n${migrate.stderr}`);
  }

  let output = "";
  const child = spawn(
    path.join(venvBin, "uvicorn"),
    ["app.main:app", "--host", "127.0.0.1", "--port", String(port), "--no-access-log"],
    { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(`http://127.0.0.1:${port}`, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseURL, databaseURL, stop };
}

/** Makes the account with `email` an administrator, as an operator would: `python -m app.admin make-admin EMAIL`. */
export function makeAdmin(repoRoot: string, databaseURL: string, email: string): void {
  const made = spawnSync(path.join(repoRoot, ".venv", "bin", "python"), ["-m", "app.admin", "make-admin", email], {
    cwd: repoRoot,
    env: { ...process.env, APP_ENV: "test", DATABASE_URL: databaseURL },
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(`make-admin ${email} failed:\n${made.stdout}\n${made.stderr}`);
}
