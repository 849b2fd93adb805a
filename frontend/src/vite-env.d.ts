/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's origin when the SPA is hosted elsewhere, e.g. https://api.example.com; unset: same origin. */
  readonly VITE_API_ORIGIN?: string;
}
