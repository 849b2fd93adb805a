import { Trash2, X } from "lucide-react";
import { Link } from "react-router";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import { ApiError, messageOf } from "../../api/errors";
import { useClientConfig, useDeleteGeneration, useGeneration, useStyles } from "../../api/queries";
import type { Generation } from "../../api/types";
import { BeforeAfter } from "../../components/BeforeAfter";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { formatDateTime, styleName } from "../../lib/format";
import { beforeAfterSources, ORIGINAL_WIDTH, responsiveSource } from "../../lib/images";
import { cssRatio, shapeName } from "../../lib/creative";
import { RefinementChain } from "../result/RefinementChain";
import { ResultActions } from "../result/ResultActions";
import { useStartFromGallery } from "../result/useStartFromResult";
import { useReturnFocus } from "../../lib/useReturnFocus";
import styles from "./GenerationDialog.module.css";

// As wide as the dialog's picture column is drawn (GenerationDialog.module.css): full width on a phone.
const PICTURE_SIZES = "(max-width: 760px) calc(94vw - 40px), 560px";

interface Props {
  id: string;
  initialData?: Generation;
  /** The other variations made by the same request, as far as the gallery has loaded them. */
  siblings?: Generation[];
  /** The refinements of this result, as far as the gallery has loaded them. */
  refinements?: Generation[];
  onClose: () => void;
}

/** The large view of one transformation: compare, download, delete. */
export function GenerationDialog({ id, initialData, siblings = [], refinements = [], onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const remove = useDeleteGeneration();
  // Once it is being deleted there is nothing left to fetch: asking again would only earn a 404.
  const generation = useGeneration(id, {
    ...(initialData ? { initialData } : {}),
    enabled: remove.isIdle || remove.isError,
  });
  const stylesQuery = useStyles();
  const [confirming, setConfirming] = useState(false);
  const startFrom = useStartFromGallery();
  useReturnFocus();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || dialog.open) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }, []);

  const data = generation.data;
  const notFound = generation.error instanceof ApiError && generation.error.status === 404;
  const label = data ? styleName(data.style, stylesQuery.data) : "";
  const thumbnailWidth = useClientConfig().data?.thumbnailSize;

  const confirmDelete = () =>
    remove.mutate(id, {
      onSuccess: () => {
        setConfirming(false);
        toast.success("Transformation deleted");
        onClose();
      },
      onError: (error) => {
        setConfirming(false);
        if (error instanceof ApiError && error.status === 404) {
          onClose();
          return;
        }
        toast.error("Couldn't delete", { description: messageOf(error) });
      },
    });

  return (
    <dialog
      ref={ref}
      className={styles.dialog}
      aria-labelledby="generation-dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        if (!confirming) onClose();
      }}
      onClick={(event) => {
        // A click on the backdrop lands on the dialog element itself.
        if (event.target === event.currentTarget && !confirming) onClose();
      }}
    >
      <div className={styles.inner}>
        <header className={styles.header}>
          <h2 id="generation-dialog-title" className={styles.title}>
            {data ? `${label} transformation` : "Transformation"}
          </h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
            <X aria-hidden size={22} />
          </button>
        </header>
        {generation.isPending && <p>Loading…</p>}
        {notFound && <p role="alert">This transformation doesn't exist or has been deleted.</p>}
        {generation.isError && !notFound && <p role="alert">{messageOf(generation.error)}</p>}
        {data && (
          <div className={styles.body}>
            {data.status === "completed" && data.generatedImageUrl ? (
              <BeforeAfter
                {...beforeAfterSources(data, data.generatedImageUrl, thumbnailWidth)}
                sizes={PICTURE_SIZES}
                ratio={cssRatio(data.aspectRatio, data.width, data.height)}
              />
            ) : (
              <figure className={styles.original}>
                <img
                  {...responsiveSource(
                    data.originalImageUrl,
                    data.originalThumbnailUrl,
                    ORIGINAL_WIDTH,
                    thumbnailWidth,
                  )}
                  sizes={PICTURE_SIZES}
                  alt="Original photo"
                  decoding="async"
                />
                <figcaption>
                  {data.status === "failed"
                    ? `This transformation failed: ${data.errorMessage ?? "no reason was given."}`
                    : "This transformation is still in progress."}
                </figcaption>
              </figure>
            )}
            <div className={styles.side}>
              <dl className={styles.meta}>
                <div>
                  <dt>Created</dt>
                  <dd>
                    <time dateTime={data.createdAt}>{formatDateTime(data.createdAt)}</time>
                  </dd>
                </div>
                <div>
                  <dt>Style</dt>
                  <dd>{label}</dd>
                </div>
                <div>
                  <dt>Shape</dt>
                  <dd>
                    {shapeName(data.aspectRatio)} ({data.aspectRatio ?? "1:1"})
                  </dd>
                </div>
                {data.prompt && (
                  <div>
                    <dt>{data.parentId ? "Change asked for" : "Wishes"}</dt>
                    <dd className={styles.prompt}>{data.prompt}</dd>
                  </div>
                )}
                <div>
                  <dt>Credits used</dt>
                  <dd>{data.creditsUsed}</dd>
                </div>
              </dl>
              {siblings.length > 1 && (
                <nav className={styles.siblings} aria-label="Variations">
                  <h3 className={styles.siblingsTitle}>Variations of this request</h3>
                  <ul>
                    {siblings.map((sibling, index) => (
                      <li key={sibling.id}>
                        <Link
                          to={`/gallery/${encodeURIComponent(sibling.id)}`}
                          aria-current={sibling.id === data.id ? "true" : undefined}
                          className={sibling.id === data.id ? styles.currentSibling : undefined}
                        >
                          Variation {index + 1}
                        </Link>
                      </li>
                    ))}
                  </ul>
                </nav>
              )}
              {data.status === "completed" && (
                <ResultActions generation={data} onStart={startFrom.start} busy={startFrom.busy} />
              )}
              <RefinementChain generation={data} refinements={refinements} />
              <div className={styles.actions}>
                <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
                  <Trash2 aria-hidden size={18} />
                  Delete
                </button>
              </div>
            </div>
          </div>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title="Delete this transformation?"
        confirmLabel="Delete forever"
        busy={remove.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={confirmDelete}
      >
        <p>The original photo and the superhero portrait will be removed for good. Credits are not refunded.</p>
      </ConfirmDialog>
    </dialog>
  );
}
