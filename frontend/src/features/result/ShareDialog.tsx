import { Copy, ExternalLink, Link2, Link2Off } from "lucide-react";
import { useId, useState } from "react";
import { toast } from "sonner";
import { useShareGeneration, useStopSharing } from "../../api/creative";
import { messageOf } from "../../api/errors";
import type { Generation } from "../../api/types";
import { Modal } from "../../components/Modal";
import { copyText } from "../../lib/clipboard";
import styles from "./ResultActions.module.css";

interface Props {
  generation: Generation;
  onClose: () => void;
}

/** Whether each result is in the public gallery, as far as this tab knows (a generation doesn't say). */
const galleryConsent = new Map<string, boolean>();

/** Sharing one result: a link anyone can open, the owner's consent to the public gallery, and taking it back. */
export function ShareDialog({ generation, onClose }: Props) {
  const linkId = useId();
  const share = useShareGeneration(generation.id);
  const stop = useStopSharing(generation.id);
  const [gallery, setGallery] = useState(() => galleryConsent.get(generation.id) ?? false);
  const shareUrl = share.data?.shareUrl ?? generation.shareUrl ?? null;
  const busy = share.isPending || stop.isPending;

  const shareWith = (inGallery: boolean) =>
    share.mutate(inGallery, {
      onSuccess: (shared) => {
        galleryConsent.set(generation.id, shared.gallery);
        setGallery(shared.gallery);
      },
      onError: (error) => toast.error("Couldn't share", { description: messageOf(error) }),
    });

  const onGalleryChange = (checked: boolean) => {
    setGallery(checked);
    // Once there is a link, the choice is the API's to record at once; before, it goes with the link.
    if (shareUrl) shareWith(checked);
  };

  const copy = async () => {
    if (!shareUrl) return;
    if (await copyText(shareUrl)) toast.success("Link copied");
    else toast.error("Couldn't copy the link", { description: "Select it and copy it yourself." });
  };

  const stopSharing = () =>
    stop.mutate(undefined, {
      onSuccess: () => {
        galleryConsent.delete(generation.id);
        share.reset();
        setGallery(false);
        toast.success("Sharing stopped", { description: "The link no longer shows your portrait." });
      },
      onError: (error) => toast.error("Couldn't stop sharing", { description: messageOf(error) }),
    });

  return (
    <Modal title="Share your superhero" onClose={onClose}>
      <p className={styles.note}>
        People with the link see this portrait only: never the photo it was made from, your name or your email.
      </p>
      <label className={styles.check}>
        <input
          type="checkbox"
          checked={gallery}
          disabled={busy}
          onChange={(event) => onGalleryChange(event.target.checked)}
        />
        <span>
          Show in the public gallery
          <span className={styles.checkHint}>Anyone can find it on the Explore page.</span>
        </span>
      </label>
      {shareUrl ? (
        <>
          <div className={styles.linkRow}>
            <label htmlFor={linkId} className={styles.fieldLabel}>
              Share link
            </label>
            <input
              id={linkId}
              className={styles.input}
              readOnly
              value={shareUrl}
              onFocus={(event) => event.target.select()}
            />
          </div>
          <div className={styles.row}>
            <button type="button" className="btn btn-primary btn-small" onClick={() => void copy()}>
              <Copy aria-hidden size={16} />
              Copy link
            </button>
            <a className="btn btn-secondary btn-small" href={shareUrl} target="_blank" rel="noreferrer">
              <ExternalLink aria-hidden size={16} />
              Open
            </a>
            <button type="button" className="btn btn-danger btn-small" onClick={stopSharing} disabled={busy}>
              <Link2Off aria-hidden size={16} />
              {stop.isPending ? "Stopping…" : "Stop sharing"}
            </button>
          </div>
        </>
      ) : (
        <div className={styles.row}>
          <button type="button" className="btn btn-primary" onClick={() => shareWith(gallery)} disabled={busy}>
            <Link2 aria-hidden size={18} />
            {share.isPending ? "Creating the link…" : "Create link"}
          </button>
        </div>
      )}
    </Modal>
  );
}
