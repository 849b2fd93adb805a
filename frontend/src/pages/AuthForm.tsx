import { Loader2 } from "lucide-react";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import type { Credentials } from "../auth/useAuth";
import forms from "../styles/forms.module.css";
import styles from "./AuthPage.module.css";

interface Props {
  /** Which inputs to ask for; a password reset asks for only one of them at each step. */
  fields?: readonly ("email" | "password")[];
  /** The password input's label. */
  passwordLabel?: string;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  error: string | null;
  passwordAutoComplete?: "current-password" | "new-password";
  passwordHint?: string;
  minPasswordLength?: number;
  onSubmit: (credentials: Credentials) => void;
  footer: ReactNode;
}

export function AuthForm({
  fields = ["email", "password"],
  passwordLabel = "Password",
  submitLabel,
  busyLabel,
  busy,
  error,
  passwordAutoComplete = "current-password",
  passwordHint,
  minPasswordLength,
  onSubmit,
  footer,
}: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const emailId = useId();
  const passwordId = useId();
  const hintId = useId();
  const errorId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ email: email.trim(), password });
  };

  return (
    <form className={styles.form} onSubmit={submit} aria-describedby={error ? errorId : undefined} noValidate={false}>
      {error && (
        <p id={errorId} className={forms.error} role="alert">
          {error}
        </p>
      )}
      {fields.includes("email") && (
        <div className={forms.field}>
          <label htmlFor={emailId}>Email</label>
          <input
            id={emailId}
            name="email"
            type="email"
            autoComplete="email"
            inputMode="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
      )}
      {fields.includes("password") && (
        <div className={forms.field}>
          <label htmlFor={passwordId}>{passwordLabel}</label>
          <input
            id={passwordId}
            name="password"
            type="password"
            autoComplete={passwordAutoComplete}
            required
            minLength={minPasswordLength}
            aria-describedby={passwordHint ? hintId : undefined}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          {passwordHint && (
            <p id={hintId} className={forms.hint}>
              {passwordHint}
            </p>
          )}
        </div>
      )}
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy && <Loader2 aria-hidden size={18} className="spin" />}
        {busy ? busyLabel : submitLabel}
      </button>
      <div className={styles.footer}>{footer}</div>
    </form>
  );
}
