import { Loader2, Sparkles } from "lucide-react";
import { Link } from "react-router";
import { usePublicGallery } from "../api/creative";
import { mediaSrc } from "../api/client";
import { useStyles } from "../api/queries";
import { useMe } from "../auth/useAuth";
import { EmptyState } from "../components/EmptyState";
import { LoadFailed } from "../components/LoadFailed";
import { formatDate, styleName } from "../lib/format";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./ExplorePage.module.css";

/** The public gallery: portraits their owners chose to show, each opening its shared page. */
export function ExplorePage() {
  useDocumentTitle("Explore");
  const query = usePublicGallery();
  const stylesQuery = useStyles();
  const signedIn = Boolean(useMe().data);
  const items = query.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Public gallery</p>
        <h1 className="page-title">Explore</h1>
        <p className={styles.lead}>
          Superheroes people chose to share with everyone. Only the portraits, never the photos.
        </p>
      </header>

      {query.isPending && (
        <p className={styles.note} role="status">
          <Loader2 aria-hidden className="spin" size={18} /> Loading the gallery…
        </p>
      )}
      {query.isError && <LoadFailed what="The gallery" error={query.error} onRetry={query.refetch} />}
      {query.isSuccess && items.length === 0 && (
        <EmptyState icon={Sparkles} title="Nothing here yet">
          <p>Share one of your superheroes with the public gallery and it will appear here.</p>
        </EmptyState>
      )}

      {items.length > 0 && (
        <ul className={styles.grid} aria-label="Shared superheroes">
          {items.map((item) => {
            const name = styleName(item.style, stylesQuery.data);
            return (
              <li key={item.slug} className={styles.card}>
                <a href={item.shareUrl} className={styles.link}>
                  <img
                    src={mediaSrc(item.imageUrl)}
                    width={item.width ?? undefined}
                    height={item.height ?? undefined}
                    alt={`${name} superhero portrait`}
                    loading="lazy"
                    decoding="async"
                  />
                  <span className={styles.meta}>
                    <span className={styles.style}>{name}</span>
                    <time dateTime={item.createdAt}>{formatDate(item.createdAt)}</time>
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      )}

      {query.hasNextPage && (
        <div className={styles.more}>
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => void query.fetchNextPage()}
            disabled={query.isFetchingNextPage}
          >
            {query.isFetchingNextPage ? "Loading more…" : "Load more"}
          </button>
        </div>
      )}

      <p className={styles.cta}>
        <Link to={signedIn ? "/dashboard" : "/register"} className="btn btn-primary">
          Make your own superhero
        </Link>
      </p>
    </div>
  );
}
