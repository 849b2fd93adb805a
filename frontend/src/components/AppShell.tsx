import { CircleUserRound, Coins, Compass, CreditCard, Gauge, Images, LayoutDashboard, LogOut, Tag } from "lucide-react";
import { Suspense, useEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { toast } from "sonner";
import { messageOf } from "../api/errors";
import { useStats } from "../api/queries";
import { useLogOut, useMe } from "../auth/useAuth";
import { ConnectionStatus } from "./ConnectionStatus";
import { Logo } from "./Logo";
import { PageLoading } from "./PageLoading";
import styles from "./AppShell.module.css";

function CreditsBadge() {
  const stats = useStats();
  if (stats.data === undefined) return null;
  return (
    <Link to="/pricing" className={styles.credits} aria-label={`${stats.data.credits} credits available. Get credits`}>
      <Coins aria-hidden size={16} />
      <span>{stats.data.credits}</span>
    </Link>
  );
}

/**
 * After moving to another page, focus goes to the page's content, as after a full page load, so keyboard and
 * screen-reader users start at the new page rather than on the link they left. Moves within a page (opening
 * a picture in the gallery) keep their own focus.
 */
function useFocusOnPageChange() {
  const { pathname } = useLocation();
  // The gallery's pictures open within the gallery page; every other path is a page of its own.
  const section = pathname.startsWith("/gallery") ? "/gallery" : pathname.replace(/\/+$/, "");
  const previous = useRef(section);
  useEffect(() => {
    if (previous.current === section) return;
    previous.current = section;
    document.getElementById("main")?.focus({ preventScroll: true });
    if (window.scrollY > 0) window.scrollTo({ top: 0 });
  }, [section]);
}

export function AppShell() {
  useFocusOnPageChange();
  const me = useMe();
  const signedIn = Boolean(me.data);
  const logOut = useLogOut();
  const navigate = useNavigate();

  const onLogOut = () =>
    logOut.mutate(undefined, {
      onSuccess: () => {
        navigate("/login", { replace: true });
        toast.success("Logged out. See you soon, hero!");
      },
      onError: (error) => toast.error("Couldn't log out", { description: messageOf(error) }),
    });

  const navClass = ({ isActive }: { isActive: boolean }) => `${styles.navLink} ${isActive ? styles.active : ""}`;

  return (
    <div className={styles.shell}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className={styles.header}>
        <div className={styles.bar}>
          <Link to={signedIn ? "/dashboard" : "/"} className={styles.brand} aria-label="AIVenger home">
            <Logo />
          </Link>
          <div className={styles.right}>
            {signedIn && <CreditsBadge />}
            {signedIn ? (
              <>
                <NavLink
                  to="/account"
                  end
                  className={({ isActive }) => `${styles.headerAction} ${isActive ? styles.here : ""}`}
                >
                  <CircleUserRound aria-hidden size={16} />
                  <span>Account</span>
                </NavLink>
                <button type="button" className={styles.headerAction} onClick={onLogOut} disabled={logOut.isPending}>
                  <LogOut aria-hidden size={16} />
                  <span>Log out</span>
                </button>
              </>
            ) : (
              me.data === null && (
                <span className={styles.authLinks}>
                  <NavLink to="/explore" className={(state) => `${navClass(state)} ${styles.wideOnly}`}>
                    Explore
                  </NavLink>
                  <NavLink to="/login" className={navClass}>
                    Log in
                  </NavLink>
                  <Link to="/register" className={`btn btn-primary btn-small ${styles.signup}`}>
                    Sign up
                  </Link>
                </span>
              )
            )}
          </div>
        </div>
        {signedIn && (
          <nav className={styles.nav} aria-label="Main">
            <NavLink to="/dashboard" className={navClass}>
              <LayoutDashboard aria-hidden size={18} />
              Dashboard
            </NavLink>
            <NavLink to="/gallery" className={navClass}>
              <Images aria-hidden size={18} />
              Gallery
            </NavLink>
            <NavLink to="/explore" className={navClass}>
              <Compass aria-hidden size={18} />
              Explore
            </NavLink>
            <NavLink to="/pricing" className={navClass}>
              <Tag aria-hidden size={18} />
              Pricing
            </NavLink>
            <NavLink to="/account/billing" className={navClass}>
              <CreditCard aria-hidden size={18} />
              Billing
            </NavLink>
            {me.data?.is_superuser && (
              <NavLink to="/console" className={navClass}>
                <Gauge aria-hidden size={18} />
                Console
              </NavLink>
            )}
          </nav>
        )}
        <ConnectionStatus />
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        {/* Most pages' code loads when first opened. Moving between pages keeps the last one shown meanwhile (the
            router's navigations are transitions); this stands in only on a page's first load. */}
        <Suspense fallback={<PageLoading label="Loading…" delayed />}>
          <Outlet />
        </Suspense>
      </main>
      <footer className={styles.footer}>
        <p>
          <Logo /> <span>Your photos stay private: only you can see your gallery.</span>
        </p>
        <p>
          <Link to="/explore">Public gallery</Link>
          <Link to="/pricing">Plans &amp; pricing</Link>
        </p>
      </footer>
    </div>
  );
}
