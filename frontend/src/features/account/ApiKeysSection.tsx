import { Check, Copy, Terminal, TriangleAlert } from "lucide-react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { toast } from "sonner";
import { apiOrigin } from "../../api/client";
import { ApiError, detailedMessageOf, messageOf } from "../../api/errors";
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "../../api/keys";
import type { ApiKey, ApiKeyCreated } from "../../api/types";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { LoadFailed } from "../../components/LoadFailed";
import { copyText } from "../../lib/clipboard";
import { formatDate, formatDateTime } from "../../lib/format";
import styles from "./ApiKeysSection.module.css";

const NAME_MAX = 100;

/** Ready-to-run commands with the new key: who it signs in as, and a transformation of a portrait. */
export function curlExamples(key: string, origin: string): { whoAmI: string; upload: string } {
  const auth = `curl -H "Authorization: Bearer ${key}"`;
  return {
    whoAmI: `${auth} ${origin}/users/me`,
    upload: `${auth} -H "Prefer: wait=60" -F image=@portrait.jpg -F style=superhero ${origin}/generations`,
  };
}

/** "Copy", named after what it copies for whoever can't see what is beside it. */
function CopyButton({ text, subject, what }: { text: string; subject: string; what: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className={`btn btn-secondary btn-small ${styles.copy}`}
      aria-label={`${copied ? "Copied" : "Copy"} ${subject}`}
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          toast.success(`${what} copied`);
        } else {
          toast.error(`Couldn't copy the ${what.toLowerCase()}`, { description: "Select it and copy it yourself." });
        }
      }}
    >
      {copied ? <Check aria-hidden size={16} /> : <Copy aria-hidden size={16} />}
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

function Command({ label, command }: { label: string; command: string }) {
  return (
    <div className={styles.command}>
      <div className={styles.commandHead}>
        <p>{label}</p>
        <CopyButton text={command} subject={`the command to ${label.toLowerCase()}`} what="Command" />
      </div>
      <pre>
        <code>{command}</code>
      </pre>
    </div>
  );
}

function NewKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const inputId = useId();
  const headingId = useId();
  const input = useRef<HTMLInputElement>(null);
  const examples = curlExamples(created.key, apiOrigin());

  // The key is what the person came for: it gets the focus, selected, ready to copy.
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [created.key]);

  return (
    <div className={styles.newKey} role="region" aria-labelledby={headingId}>
      <h3 id={headingId} className={styles.newKeyTitle}>
        Your new key “{created.name}”
      </h3>
      <p className={styles.warning}>
        <TriangleAlert aria-hidden size={20} />
        <span>
          <strong>Copy it now: you won't see it again.</strong> We keep only a fingerprint of it, so nobody can show it
          to you later. If you lose it, revoke it and create another.
        </span>
      </p>
      <label htmlFor={inputId} className={styles.label}>
        API key
      </label>
      <div className={styles.keyRow}>
        <input
          ref={input}
          id={inputId}
          className={styles.keyInput}
          readOnly
          value={created.key}
          spellCheck={false}
          autoComplete="off"
          onFocus={(event) => event.currentTarget.select()}
        />
        <CopyButton text={created.key} subject="the API key" what="API key" />
      </div>
      <p className={styles.muted}>
        Send it in the <code>Authorization</code> header. It works wherever your login does, except for managing keys,
        your email or your password.
      </p>
      <Command label="Check who the key signs in as" command={examples.whoAmI} />
      <Command label="Transform a portrait, waiting up to a minute for the result" command={examples.upload} />
      <div>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          I've saved my key
        </button>
      </div>
    </div>
  );
}

function KeyRow({ apiKey, onRevoke }: { apiKey: ApiKey; onRevoke: (key: ApiKey) => void }) {
  return (
    <li className={`list-row ${styles.row}`}>
      <div className="list-row-what">
        <strong>{apiKey.name}</strong>
        <span>
          <code className={styles.prefix}>{apiKey.prefix}…</code>
        </span>
        <span className="list-row-detail">
          Created {formatDate(apiKey.createdAt)} ·{" "}
          {apiKey.lastUsedAt ? `last used ${formatDateTime(apiKey.lastUsedAt)}` : "never used"}
        </span>
      </div>
      <button
        type="button"
        className="btn btn-secondary btn-small"
        aria-label={`Revoke ${apiKey.name}`}
        onClick={() => onRevoke(apiKey)}
      >
        Revoke
      </button>
    </li>
  );
}

/** The account's API keys: made here, shown once, listed by name and prefix, revoked here. */
export function ApiKeysSection({
  className = "",
  headingClassName,
}: {
  className?: string;
  headingClassName?: string;
}) {
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const nameId = useId();

  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    const wanted = name.trim();
    if (!wanted) {
      nameInput.current?.focus();
      return;
    }
    create.mutate(wanted, {
      onSuccess: (key) => {
        setCreated(key);
        setName("");
      },
    });
  };

  const onRevoke = () => {
    if (!revoking) return;
    const key = revoking;
    revoke.mutate(key.id, {
      onSuccess: () => {
        setRevoking(null);
        if (created?.id === key.id) setCreated(null);
        toast.success("Key revoked", { description: `“${key.name}” no longer works.` });
      },
      onError: (error) => {
        setRevoking(null);
        if (error instanceof ApiError && error.status === 404) {
          toast.success("Key revoked", { description: `“${key.name}” was already revoked.` });
        } else {
          toast.error("Couldn't revoke the key", { description: messageOf(error) });
        }
      },
    });
  };

  return (
    <section className={`panel ${className}`} aria-labelledby="keys-heading">
      <h2 id="keys-heading" className={headingClassName}>
        <Terminal aria-hidden size={22} /> API keys
      </h2>
      <p>
        Use AIVenger from your own scripts and tools: a key signs them in as you. Give each tool its own key, so you can
        revoke one without touching the others.
      </p>

      {created && (
        <NewKey
          created={created}
          onDone={() => {
            setCreated(null);
            nameInput.current?.focus();
          }}
        />
      )}

      <form className={styles.form} onSubmit={onCreate}>
        <div className={styles.field}>
          <label htmlFor={nameId} className={styles.label}>
            Name of a new key
          </label>
          <input
            ref={nameInput}
            id={nameId}
            className={styles.input}
            value={name}
            maxLength={NAME_MAX}
            placeholder="e.g. my upload script"
            onChange={(event) => setName(event.target.value)}
            aria-invalid={create.isError || undefined}
            aria-describedby={create.isError ? `${nameId}-error` : undefined}
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </form>
      {create.isError && (
        <p id={`${nameId}-error`} className="notice notice-error" role="alert">
          Couldn't create the key. {detailedMessageOf(create.error)}
        </p>
      )}

      <h3 id="keys-list-heading" className={styles.listTitle}>
        Your keys
      </h3>
      {keys.isPending ? (
        <p className={styles.muted}>Loading your keys…</p>
      ) : keys.isError ? (
        <LoadFailed what="Your keys" onRetry={keys.refetch} />
      ) : keys.data.length === 0 ? (
        <p className={styles.muted}>No keys yet.</p>
      ) : (
        <ul className="list-rows" aria-labelledby="keys-list-heading">
          {keys.data.map((key) => (
            <KeyRow key={key.id} apiKey={key} onRevoke={setRevoking} />
          ))}
        </ul>
      )}

      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        busyLabel="Revoking…"
        busy={revoke.isPending}
        onConfirm={onRevoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          {revoking &&
            `Anything still using “${revoking.name}” (${revoking.prefix}…) stops working at once. It cannot be undone.`}
        </p>
      </ConfirmDialog>
    </section>
  );
}
