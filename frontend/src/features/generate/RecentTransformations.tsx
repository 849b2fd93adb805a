import { AlertTriangle, ArrowRight, Loader2 } from "lucide-react";
import { Link } from "react-router";
import { useRecentGenerations, useStyles } from "../../api/queries";
import type { Generation } from "../../api/types";
import { LoadFailed } from "../../components/LoadFailed";
import { formatDateTime, styleName } from "../../lib/format";
import { mediaSrc } from "../../api/client";
import { thumbnailSrc } from "../../lib/images";
import styles from "./RecentTransformations.module.css";

const RECENT_LIMIT = 4;

function RecentCard({ generation, styleLabel }: { generation: Generation; styleLabel: string }) {
  // A strip of small cards: thumbnails only, the full images where a generation has none.
  const after = generation.thumbnailUrl ?? generation.generatedImageUrl;
  const body = (
    <>
      <div className={styles.pair}>
        <figure className={styles.frame}>
          <img
            src={thumbnailSrc(generation.originalThumbnailUrl, generation.originalImageUrl)}
            alt="Original photo"
            loading="lazy"
            decoding="async"
          />
          <figcaption>Before</figcaption>
        </figure>
        <figure className={`${styles.frame} ${styles.afterFrame}`}>
          {generation.status === "completed" && after ? (
            <img src={mediaSrc(after)} alt={`${styleLabel} superhero version`} loading="lazy" decoding="async" />
          ) : generation.status === "pending" ? (
            <div className={styles.placeholder}>
              <Loader2 aria-hidden className="spin" size={28} />
              <span>In progress</span>
            </div>
          ) : (
            <div className={`${styles.placeholder} ${styles.failed}`}>
              <AlertTriangle aria-hidden size={28} />
              <span>Failed</span>
            </div>
          )}
          <figcaption>After</figcaption>
        </figure>
      </div>
      <div className={styles.meta}>
        <span className={styles.style}>{styleLabel}</span>
        <time dateTime={generation.createdAt}>{formatDateTime(generation.createdAt)}</time>
      </div>
      {generation.status === "failed" && generation.errorMessage && (
        <p className={styles.error}>{generation.errorMessage}</p>
      )}
    </>
  );
  return (
    <li className={styles.item}>
      {generation.status === "completed" ? (
        <Link to={`/gallery/${encodeURIComponent(generation.id)}`} className={styles.card}>
          {body}
        </Link>
      ) : (
        <div className={styles.card}>{body}</div>
      )}
    </li>
  );
}

export function RecentTransformations() {
  const recent = useRecentGenerations(RECENT_LIMIT);
  const stylesQuery = useStyles();
  const generations = recent.data?.generations ?? [];

  return (
    <section className={styles.section} aria-labelledby="recent-heading">
      <div className={styles.header}>
        <h2 id="recent-heading" className="section-title">
          Recent Transformations
        </h2>
        <Link to="/gallery" className={styles.all}>
          View gallery <ArrowRight aria-hidden size={16} />
        </Link>
      </div>
      {recent.isPending && <p className={styles.note}>Loading your transformations…</p>}
      {recent.isError && <LoadFailed what="Your recent transformations" />}
      {recent.isSuccess && generations.length === 0 && (
        <p className={styles.empty}>No transformations yet. Your first superhero portrait will appear here.</p>
      )}
      {generations.length > 0 && (
        <ul className={styles.grid}>
          {generations.map((generation) => (
            <RecentCard
              key={generation.id}
              generation={generation}
              styleLabel={styleName(generation.style, stylesQuery.data)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
