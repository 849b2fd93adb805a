import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { toast } from "sonner";
import { messageOf } from "../api/errors";
import { safeNextPath } from "../auth/redirects";
import { useClientConfig } from "../api/queries";
import { isCheckingSession, useMe, useRegister } from "../auth/useAuth";
import { PageLoading } from "../components/PageLoading";
import { countInWords, transformationsFor } from "../lib/format";
import { MIN_PASSWORD_LENGTH, PASSWORD_HINT } from "../lib/passwords";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { AuthForm } from "./AuthForm";
import styles from "./AuthPage.module.css";

export function RegisterPage() {
  useDocumentTitle("Create your account");
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const navigate = useNavigate();
  const me = useMe();
  const register = useRegister();
  const config = useClientConfig().data;

  if (isCheckingSession(me)) return <PageLoading label="Loading…" />;
  if (me.data && !register.isPending) return <Navigate to={next} replace />;

  return (
    <div className={styles.page}>
      <section className={`panel ${styles.card}`} aria-labelledby="register-heading">
        <p className={`kicker ${styles.kicker}`}>Join the league</p>
        <h1 id="register-heading" className={styles.heading}>
          Create your account
        </h1>
        <p className={styles.lead}>
          {config ? (
            <>
              Get <strong>{config.signupCredits} free credits</strong>: enough for{" "}
              {countInWords(
                transformationsFor(config.signupCredits, config.generationCost),
                "superhero transformation",
              )}
              .
            </>
          ) : (
            <>
              Get <strong>free credits</strong> for your first superhero transformations.
            </>
          )}
        </p>
        <AuthForm
          submitLabel="Create account"
          busyLabel="Creating your account…"
          busy={register.isPending}
          error={register.isError ? messageOf(register.error) : null}
          passwordAutoComplete="new-password"
          passwordHint={PASSWORD_HINT}
          minPasswordLength={MIN_PASSWORD_LENGTH}
          onSubmit={(credentials) =>
            register.mutate(credentials, {
              onSuccess: () => {
                toast.success("Welcome to AIVenger!", {
                  description: config
                    ? `${config.signupCredits} free credits are waiting for you.`
                    : "Your free credits are waiting for you.",
                });
                navigate(next, { replace: true });
              },
            })
          }
          footer={
            <p>
              Already have an account? <Link to="/login">Log in</Link>
            </p>
          }
        />
      </section>
    </div>
  );
}
