import { ChartColumn, Users } from "lucide-react";
import { Suspense } from "react";
import { NavLink, Outlet } from "react-router";
import { PageLoading } from "../../components/PageLoading";
import styles from "./Console.module.css";

/** The operators' console: the service's numbers, and the accounts with what can be done for them. */
export function ConsoleLayout() {
  const tabClass = ({ isActive }: { isActive: boolean }) => `${styles.tab} ${isActive ? styles.tabActive : ""}`;
  return (
    <div className={styles.console}>
      <nav className={styles.tabs} aria-label="Console">
        <NavLink to="/console" end className={tabClass}>
          <ChartColumn aria-hidden size={18} />
          Overview
        </NavLink>
        <NavLink to="/console/users" className={tabClass}>
          <Users aria-hidden size={18} />
          Users
        </NavLink>
      </nav>
      <Suspense fallback={<PageLoading label="Loading…" />}>
        <Outlet />
      </Suspense>
    </div>
  );
}
