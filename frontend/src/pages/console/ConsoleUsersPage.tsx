import { Search } from "lucide-react";
import type { FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useAdminUsers } from "../../api/admin";
import { usePlans } from "../../api/billing";
import { messageOf } from "../../api/errors";
import type { AdminUser, Plan } from "../../api/types";
import { LoadFailed } from "../../components/LoadFailed";
import { countOf, formatDate } from "../../lib/format";
import { useDocumentTitle } from "../../lib/useDocumentTitle";
import { AccountBadges, planLabel } from "./accounts";
import styles from "./Console.module.css";

function UserRow({ user, plans }: { user: AdminUser; plans: Plan[] | undefined }) {
  return (
    <li className={`list-row ${styles.row}`}>
      <div className={`list-row-what ${styles.what}`}>
        <Link to={`/console/users/${user.id}`} className={styles.email}>
          {user.email}
        </Link>
        <AccountBadges user={user} />
        <span className="list-row-detail">Joined {formatDate(user.createdAt)}</span>
      </div>
      <dl className={styles.rowFigures}>
        <div>
          <dt>Balance</dt>
          <dd>{countOf(user.credits, "credit")}</dd>
        </div>
        <div>
          <dt>Plan</dt>
          <dd>{planLabel(user.plan, plans)}</dd>
        </div>
        <div>
          <dt>Generations</dt>
          <dd>{user.generations}</dd>
        </div>
      </dl>
    </li>
  );
}

/** Every account, newest first, found by part of its email address. */
export function ConsoleUsersPage() {
  useDocumentTitle("Console users");
  const [params, setParams] = useSearchParams();
  const q = params.get("q")?.trim() ?? "";
  const users = useAdminUsers(q);
  const plans = usePlans().data;
  const found = users.data?.pages.flatMap((page) => page.users) ?? [];

  const onSearch = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const wanted = String(new FormData(event.currentTarget).get("q") ?? "").trim();
    setParams(wanted ? { q: wanted } : {}, { replace: true });
  };

  return (
    <div className={styles.page}>
      <header className={`page-intro ${styles.intro}`}>
        <p className="kicker">Operators' console</p>
        <h1 className="page-title">Users</h1>
      </header>

      {/* Keyed by the search, so going back and forth through searches shows each one's words. */}
      <form key={q} role="search" className={styles.search} onSubmit={onSearch}>
        <div className={styles.field}>
          <label htmlFor="user-search" className={styles.label}>
            Email contains
          </label>
          <input
            id="user-search"
            name="q"
            type="search"
            className={styles.input}
            defaultValue={q}
            maxLength={254}
            placeholder="e.g. hero@example.com"
          />
        </div>
        <button type="submit" className="btn btn-primary">
          <Search aria-hidden size={18} /> Search
        </button>
      </form>

      <section className="panel panel-section" aria-labelledby="accounts-heading">
        <h2 id="accounts-heading" className="panel-title">
          {q ? `Accounts matching “${q}”` : "All accounts"}
        </h2>
        {users.isPending ? (
          <p className={styles.muted}>Loading accounts…</p>
        ) : users.isError && found.length === 0 ? (
          <LoadFailed what="Accounts" error={users.error} onRetry={users.refetch} />
        ) : found.length === 0 ? (
          <p className={styles.muted} role="status">
            {q ? `No account's email contains “${q}”.` : "No accounts yet."}
          </p>
        ) : (
          <>
            <p className={styles.muted} role="status">
              {users.hasNextPage ? `The first ${found.length} accounts` : countOf(found.length, "account")}
              {q ? ` whose email contains “${q}”` : ""}.
            </p>
            <ul className="list-rows" aria-labelledby="accounts-heading">
              {found.map((user) => (
                <UserRow key={user.id} user={user} plans={plans} />
              ))}
            </ul>
            {users.isFetchNextPageError && (
              <p className="notice notice-error" role="alert">
                {messageOf(users.error)}
              </p>
            )}
            {users.hasNextPage && (
              <div>
                <button
                  type="button"
                  className="btn btn-secondary"
                  disabled={users.isFetchingNextPage}
                  onClick={() => void users.fetchNextPage()}
                >
                  {users.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
              </div>
            )}
          </>
        )}
      </section>
    </div>
  );
}
