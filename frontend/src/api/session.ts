/**
 * A 401 from any call means the session cookie is gone or expired. Whoever cares (the auth layer) subscribes
 * here, so the transport stays free of routing and caching concerns.
 */
type Listener = () => void;

const listeners = new Set<Listener>();

export function onUnauthorized(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportUnauthorized(): void {
  for (const listener of listeners) listener();
}
