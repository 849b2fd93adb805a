import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { messageOf } from "../api/errors";
import { safeNextPath } from "../auth/redirects";
import { useClientConfig } from "../api/queries";
import { isCheckingSession, useLogIn, useMe } from "../auth/useAuth";
import { PageLoading } from "../components/PageLoading";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { AuthForm } from "./AuthForm";
import styles from "./AuthPage.module.css";

export function LoginPage() {
  useDocumentTitle("Log in");
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const navigate = useNavigate();
  const me = useMe();
  const logIn = useLogIn();
  const signupCredits = useClientConfig().data?.signupCredits;

  if (isCheckingSession(me)) return <PageLoading label="Loading…" />;
  if (me.data && !logIn.isPending) return <Navigate to={next} replace />;

  const registerLink = params.get("next") ? `/register?next=${encodeURIComponent(next)}` : "/register";

  return (
    <div className={styles.page}>
      <section className={`panel ${styles.card}`} aria-labelledby="login-heading">
        <p className={`kicker ${styles.kicker}`}>Welcome back</p>
        <h1 id="login-heading" className={styles.heading}>
          Log in
        </h1>
        {params.get("next") && <p className={styles.lead}>Log in to continue where you left off.</p>}
        <AuthForm
          submitLabel="Log in"
          busyLabel="Logging in…"
          busy={logIn.isPending}
          error={logIn.isError ? messageOf(logIn.error) : null}
          passwordAutoComplete="current-password"
          onSubmit={(credentials) => logIn.mutate(credentials, { onSuccess: () => navigate(next, { replace: true }) })}
          footer={
            <>
              <p>
                <Link to="/forgot-password">Forgot your password?</Link>
              </p>
              <p>
                New here? <Link to={registerLink}>Create an account</Link> and get{" "}
                {signupCredits === undefined ? "free credits" : `${signupCredits} free credits`}.
              </p>
            </>
          }
        />
      </section>
    </div>
  );
}
