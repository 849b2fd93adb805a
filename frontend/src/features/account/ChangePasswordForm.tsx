import { Loader2 } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { toast } from "sonner";
import { ApiError, messageOf } from "../../api/errors";
import { PasswordChangedButNotSignedIn, useChangePassword } from "../../auth/useAuth";
import { MIN_PASSWORD_LENGTH, PASSWORD_HINT } from "../../lib/passwords";
import forms from "../../styles/forms.module.css";
import styles from "./ChangePasswordForm.module.css";

/** The API's refusal in the person's words: a wrong current password is named as such. */
function refusalOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 400 && /current.?password/i.test(error.message)) {
    return "That isn't your current password.";
  }
  return messageOf(error);
}

/**
 * A new password, set with the current one. It ends every login, this one included, so this page signs in again
 * with the new password at once; should that fail, the login page takes over.
 */
export function ChangePasswordForm({ email }: { email: string }) {
  const change = useChangePassword();
  const navigate = useNavigate();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const currentId = useId();
  const nextId = useId();
  const hintId = useId();
  const errorId = useId();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setDone(false);
    change.mutate(
      { email, currentPassword: current, newPassword: next },
      {
        onSuccess: () => {
          setCurrent("");
          setNext("");
          setDone(true);
          toast.success("Password changed", {
            description: "Other devices signed in with the old one are signed out.",
          });
        },
        onError: (error) => {
          if (error instanceof PasswordChangedButNotSignedIn) {
            navigate(`/login?next=${encodeURIComponent("/account")}`, { replace: true });
            toast.success("Password changed", { description: "Log in with your new password." });
          }
        },
      },
    );
  };

  const error = change.isError && !(change.error instanceof PasswordChangedButNotSignedIn) ? change.error : null;

  return (
    <form className={styles.form} onSubmit={submit} aria-label="Change your password">
      {error && (
        <p id={errorId} className={forms.error} role="alert">
          {refusalOf(error)}
        </p>
      )}
      <div className={forms.field}>
        <label htmlFor={currentId}>Current password</label>
        <input
          id={currentId}
          name="current-password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
        />
      </div>
      <div className={forms.field}>
        <label htmlFor={nextId}>New password</label>
        <input
          id={nextId}
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          aria-describedby={hintId}
          value={next}
          onChange={(event) => setNext(event.target.value)}
        />
        <p id={hintId} className={forms.hint}>
          {PASSWORD_HINT}
        </p>
      </div>
      <div>
        <button type="submit" className="btn btn-primary" disabled={change.isPending}>
          {change.isPending && <Loader2 aria-hidden size={18} className="spin" />}
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </div>
      {done && (
        <p role="status" className={styles.done}>
          Your password is changed, and you are still signed in here.
        </p>
      )}
    </form>
  );
}
