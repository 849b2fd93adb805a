import { Download, Trash2, X } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import { ApiError, messageOf } from "../../api/errors";
import { useClientConfig, useDeleteGeneration, useGeneration, useStyles } from "../../api/queries";
import type { Generation } from "../../api/types";
import { BeforeAfter } from "../../components/BeforeAfter";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { formatDateTime, styleName } from "../../lib/format";
import { beforeAfterSources, ORIGINAL_WIDTH, responsiveSource } from "../../lib/images";
import styles from "./GenerationDialog.module.css";
import { mediaSrc } from "../../api/client";

// As wide as the dialog's picture column is drawn (GenerationDialog.module.css): full width on a phone.
const PICTURE_SIZES = "(max-width: 760px) calc(94vw - 40px), 560px";

interface Props {
  id: string;
  initialData?: Generation;
  onClose: () => void;
}

/** The large view of one transformation: compare, download, delete. */
export function GenerationDialog({ id, initialData, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const generation = useGeneration(id, initialData ? { initialData } : {});
  const stylesQuery = useStyles();
  const remove = useDeleteGeneration();
  const [confirming, setConfirming] = useState(false);

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
                <dt>Credits used</dt>
                <dd>{data.creditsUsed}</dd>
              </div>
            </dl>
            <div className={styles.actions}>
              {data.generatedImageUrl && (
                <a
                  className="btn btn-primary"
                  href={mediaSrc(data.generatedImageUrl)}
                  download={`aivenger-${data.id}.jpg`}
                >
                  <Download aria-hidden size={18} />
                  Download
                </a>
              )}
              <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
                <Trash2 aria-hidden size={18} />
                Delete
              </button>
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
