import { AlertTriangle, ImageOff, Loader2, Sparkles, Trash2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { toast } from "sonner";
import { ApiError, messageOf } from "../api/errors";
import { useDeleteGeneration, useGalleryGenerations, useStyles } from "../api/queries";
import type { Generation, GenerationStatus } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { EmptyState } from "../components/EmptyState";
import { LoadFailed } from "../components/LoadFailed";
import { GenerationDialog } from "../features/gallery/GenerationDialog";
import { useInfiniteScroll } from "../features/gallery/useInfiniteScroll";
import { formatDateTime, styleName } from "../lib/format";
import { thumbnailSrc } from "../lib/images";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./GalleryPage.module.css";

const TABS: { status: GenerationStatus; label: string }[] = [
  { status: "completed", label: "Completed" },
  { status: "failed", label: "Failed" },
];

function FailedCard({ generation, onRemove }: { generation: Generation; onRemove: () => void }) {
  return (
    <li className={`${styles.card} ${styles.failedCard}`}>
      <div className={styles.thumb}>
        <img
          src={thumbnailSrc(generation.originalThumbnailUrl, generation.originalImageUrl)}
          alt="Original photo"
          loading="lazy"
          decoding="async"
        />
        <span className={styles.failedBadge}>
          <AlertTriangle aria-hidden size={14} /> Failed
        </span>
      </div>
      <div className={styles.cardBody}>
        <p className={styles.errorMessage}>{generation.errorMessage ?? "The transformation failed."}</p>
        <time className={styles.date} dateTime={generation.createdAt}>
          {formatDateTime(generation.createdAt)}
        </time>
        <button type="button" className="btn btn-ghost btn-small" onClick={onRemove}>
          <Trash2 aria-hidden size={16} />
          Remove
        </button>
      </div>
    </li>
  );
}

export function GalleryPage() {
  useDocumentTitle("Gallery");
  const { id } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const status: GenerationStatus = params.get("status") === "failed" ? "failed" : "completed";
  const query = useGalleryGenerations(status);
  const stylesQuery = useStyles();
  const remove = useDeleteGeneration();
  const [pendingRemoval, setPendingRemoval] = useState<Generation | null>(null);

  const generations = query.data?.pages.flatMap((page) => page.generations) ?? [];
  const sentinel = useInfiniteScroll<HTMLDivElement>(() => {
    if (query.hasNextPage && !query.isFetchingNextPage) void query.fetchNextPage();
  }, Boolean(query.hasNextPage));

  const opened = id ? generations.find((generation) => generation.id === id) : undefined;
  const listSearch = status === "failed" ? "?status=failed" : "";
  const closeDetail = () => navigate(`/gallery${listSearch}`);

  const confirmRemoval = () => {
    if (!pendingRemoval) return;
    remove.mutate(pendingRemoval.id, {
      onSuccess: () => {
        setPendingRemoval(null);
        toast.success("Failed generation removed");
      },
      onError: (error) => {
        setPendingRemoval(null);
        if (!(error instanceof ApiError && error.status === 404)) {
          toast.error("Couldn't remove", { description: messageOf(error) });
        }
      },
    });
  };

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Your private collection</p>
        <h1 className="page-title">Gallery</h1>
        <p className={styles.lead}>Every superhero you've created. Only you can see them.</p>
      </header>

      <nav className={styles.tabs} aria-label="Filter transformations">
        {TABS.map((tab) => (
          <Link
            key={tab.status}
            to={tab.status === "completed" ? "/gallery" : `/gallery?status=${tab.status}`}
            className={`${styles.tab} ${status === tab.status ? styles.activeTab : ""}`}
            aria-current={status === tab.status ? "page" : undefined}
          >
            {tab.label}
          </Link>
        ))}
      </nav>

      {query.isPending && (
        <p className={styles.note} role="status">
          <Loader2 aria-hidden className="spin" size={18} /> Loading your gallery…
        </p>
      )}
      {query.isError && <LoadFailed what="Your gallery" error={query.error} onRetry={query.refetch} />}

      {query.isSuccess &&
        generations.length === 0 &&
        (status === "completed" ? (
          <EmptyState icon={Sparkles} title="No superheroes yet">
            <p>Upload a portrait on your dashboard and your first transformation will land here.</p>
            <Link to="/dashboard" className="btn btn-primary">
              Create your first superhero
            </Link>
          </EmptyState>
        ) : (
          <EmptyState icon={ImageOff} title="No failed generations">
            <p>Every transformation so far has worked. Nice!</p>
          </EmptyState>
        ))}

      {generations.length > 0 && (
        <ul
          className={styles.grid}
          aria-label={status === "completed" ? "Completed transformations" : "Failed generations"}
        >
          {generations.map((generation) =>
            status === "failed" ? (
              <FailedCard key={generation.id} generation={generation} onRemove={() => setPendingRemoval(generation)} />
            ) : (
              <li key={generation.id} className={styles.card}>
                <Link to={`/gallery/${encodeURIComponent(generation.id)}${listSearch}`} className={styles.cardLink}>
                  <div className={styles.thumb}>
                    <img
                      src={thumbnailSrc(
                        generation.thumbnailUrl,
                        generation.generatedImageUrl ?? generation.originalImageUrl,
                      )}
                      alt={`${styleName(generation.style, stylesQuery.data)} superhero portrait`}
                      loading="lazy"
                      decoding="async"
                    />
                  </div>
                  <div className={styles.cardBody}>
                    <span className={styles.styleName}>{styleName(generation.style, stylesQuery.data)}</span>
                    <time className={styles.date} dateTime={generation.createdAt}>
                      {formatDateTime(generation.createdAt)}
                    </time>
                  </div>
                </Link>
              </li>
            ),
          )}
        </ul>
      )}

      <div ref={sentinel} className={styles.sentinel} aria-hidden />
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

      {id && (
        <GenerationDialog
          key={id}
          id={id}
          initialData={opened}
          siblings={opened?.batchId ? generations.filter((generation) => generation.batchId === opened.batchId) : []}
          refinements={generations.filter((generation) => generation.parentId === id)}
          onClose={closeDetail}
        />
      )}

      <ConfirmDialog
        open={pendingRemoval !== null}
        title="Remove this failed generation?"
        confirmLabel="Remove"
        busy={remove.isPending}
        onCancel={() => setPendingRemoval(null)}
        onConfirm={confirmRemoval}
      >
        <p>The uploaded photo and the record of this attempt will be deleted.</p>
      </ConfirmDialog>
    </div>
  );
}
