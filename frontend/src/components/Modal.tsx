import { X } from "lucide-react";
import { useEffect, useId, useRef, type ReactNode } from "react";
import { useReturnFocus } from "../lib/useReturnFocus";
import styles from "./Modal.module.css";

interface Props {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** "wide" for a picture shown as large as the screen allows. */
  size?: "normal" | "wide";
  /** Hides the title from sight (screen readers still announce it). */
  hideTitle?: boolean;
}

/**
 * A modal on the native <dialog>, open while mounted: focus is trapped, Escape and the backdrop close it, and focus
 * goes back to what opened it once it is gone.
 */
export function Modal({ title, onClose, children, size = "normal", hideTitle = false }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useReturnFocus();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || dialog.open) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }, []);

  return (
    <dialog
      ref={ref}
      className={`${styles.dialog} ${size === "wide" ? styles.wide : ""}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        // A click on the backdrop lands on the dialog element itself.
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <header className={styles.header}>
        <h2 id={titleId} className={hideTitle ? "visually-hidden" : styles.title}>
          {title}
        </h2>
        <button type="button" className={`icon-button ${styles.close}`} onClick={onClose} aria-label="Close">
          <X aria-hidden size={22} />
        </button>
      </header>
      <div className={styles.body}>{children}</div>
    </dialog>
  );
}
