import { BadgeCheck } from "lucide-react";
import { Link, useSearchParams } from "react-router";
import { messageOf } from "../api/errors";
import { useMe, useVerifyEmail } from "../auth/useAuth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import forms from "../styles/forms.module.css";
import styles from "./AuthPage.module.css";

/**
 * Where the emailed confirmation link lands: /verify-email?token=…. The person confirms with a click rather than
 * on page load, so a mail scanner that opens links does not confirm for them.
 */
export function VerifyEmailPage() {
  useDocumentTitle("Confirm your email");
  const [params] = useSearchParams();
  const token = params.get("token");
  const verify = useVerifyEmail();
  const signedIn = Boolean(useMe().data);
  const onward = signedIn ? { to: "/account", label: "Back to your account" } : { to: "/login", label: "Log in" };

  return (
    <div className={styles.page}>
      <section className={`panel ${styles.card}`} aria-labelledby="verify-heading">
        <p className={`kicker ${styles.kicker}`}>Almost there</p>
        <h1 id="verify-heading" className={styles.heading}>
          Confirm your email
        </h1>
        {!token ? (
          <p className={styles.lead} role="alert">
            This link is incomplete. Open the link from the email again, or ask for a new one on your account page.
          </p>
        ) : verify.isSuccess ? (
          <div className={styles.sent} role="status">
            <BadgeCheck aria-hidden size={28} />
            <p>Your email address is confirmed. Thank you!</p>
            <p>
              <Link to={onward.to}>{onward.label}</Link>
            </p>
          </div>
        ) : (
          <div className={styles.form}>
            {verify.isError && (
              <p className={forms.error} role="alert">
                {messageOf(verify.error)}
              </p>
            )}
            <p className={styles.lead}>One click tells us this address is really yours.</p>
            <button
              type="button"
              className="btn btn-primary btn-block"
              disabled={verify.isPending}
              onClick={() => verify.mutate(token)}
            >
              {verify.isPending ? "Confirming…" : "Confirm my email"}
            </button>
          </div>
        )}
      </section>
    </div>
  );
}
