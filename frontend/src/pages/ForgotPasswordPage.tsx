import { MailCheck } from "lucide-react";
import { Link } from "react-router";
import { messageOf } from "../api/errors";
import { useForgotPassword } from "../auth/useAuth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { AuthForm } from "./AuthForm";
import styles from "./AuthPage.module.css";

export function ForgotPasswordPage() {
  useDocumentTitle("Forgot your password?");
  const forgot = useForgotPassword();

  return (
    <div className={styles.page}>
      <section className={`panel ${styles.card}`} aria-labelledby="forgot-heading">
        <p className={`kicker ${styles.kicker}`}>Locked out?</p>
        <h1 id="forgot-heading" className={styles.heading}>
          Forgot your password?
        </h1>
        {forgot.isSuccess ? (
          <div className={styles.sent} role="status">
            <MailCheck aria-hidden size={28} />
            <p>
              Check your inbox. If an account exists for <strong>{forgot.variables}</strong>, an email with a link to
              choose a new password is on its way.
            </p>
            <p>
              <Link to="/login">Back to log in</Link>
            </p>
          </div>
        ) : (
          <>
            <p className={styles.lead}>
              Tell us your account&apos;s email and we&apos;ll send you a link to choose a new one.
            </p>
            <AuthForm
              fields={["email"]}
              submitLabel="Email me a link"
              busyLabel="Sending…"
              busy={forgot.isPending}
              error={forgot.isError ? messageOf(forgot.error) : null}
              onSubmit={({ email }) => forgot.mutate(email)}
              footer={
                <p>
                  Remembered it? <Link to="/login">Log in</Link>
                </p>
              }
            />
          </>
        )}
      </section>
    </div>
  );
}
