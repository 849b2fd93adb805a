import { Link, useNavigate, useSearchParams } from "react-router";
import { toast } from "sonner";
import { messageOf } from "../api/errors";
import { useResetPassword } from "../auth/useAuth";
import { MIN_PASSWORD_LENGTH, PASSWORD_HINT } from "../lib/passwords";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { AuthForm } from "./AuthForm";
import styles from "./AuthPage.module.css";

/** Where the emailed link lands: /reset-password?token=… */
export function ResetPasswordPage() {
  useDocumentTitle("Choose a new password");
  const [params] = useSearchParams();
  const token = params.get("token");
  const navigate = useNavigate();
  const reset = useResetPassword();

  return (
    <div className={styles.page}>
      <section className={`panel ${styles.card}`} aria-labelledby="reset-heading">
        <p className={`kicker ${styles.kicker}`}>Fresh start</p>
        <h1 id="reset-heading" className={styles.heading}>
          Choose a new password
        </h1>
        {token ? (
          <AuthForm
            fields={["password"]}
            passwordLabel="New password"
            passwordAutoComplete="new-password"
            passwordHint={PASSWORD_HINT}
            minPasswordLength={MIN_PASSWORD_LENGTH}
            submitLabel="Save new password"
            busyLabel="Saving…"
            busy={reset.isPending}
            error={reset.isError ? messageOf(reset.error) : null}
            onSubmit={({ password }) =>
              reset.mutate(
                { token, password },
                {
                  onSuccess: () => {
                    toast.success("Password changed", { description: "Log in with your new password." });
                    navigate("/login", { replace: true });
                  },
                },
              )
            }
            footer={
              <p>
                Link not working? <Link to="/forgot-password">Ask for a new one</Link>
              </p>
            }
          />
        ) : (
          <p className={styles.lead} role="alert">
            This link is incomplete. Open the link from the email again, or{" "}
            <Link to="/forgot-password">ask for a new one</Link>.
          </p>
        )}
      </section>
    </div>
  );
}
