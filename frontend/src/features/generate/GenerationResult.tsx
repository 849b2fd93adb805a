import { Download, Images, RotateCcw } from "lucide-react";
import { useEffect, useRef } from "react";
import { Link } from "react-router";
import type { Generation } from "../../api/types";
import { BeforeAfter } from "../../components/BeforeAfter";
import { mediaSrc } from "../../api/client";
import { useClientConfig } from "../../api/queries";
import { beforeAfterSources } from "../../lib/images";
import styles from "./GenerationResult.module.css";

// As wide as the result's picture column is drawn (GenerationResult.module.css): full width on a phone.
const PICTURE_SIZES = "(max-width: 860px) calc(100vw - 64px), 420px";

interface Props {
  generation: Generation;
  imageUrl: string;
  remainingCredits: number;
  onCreateAnother: () => void;
}

export function GenerationResult({ generation, imageUrl, remainingCredits, onCreateAnother }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const thumbnailWidth = useClientConfig().data?.thumbnailSize;

  // The result appears below the form: bring it into view, and tell screen readers where they are.
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
    heading.current?.scrollIntoView?.({ behavior: "smooth", block: "start" });
  }, []);

  return (
    <section className={styles.result} aria-labelledby="result-heading" data-testid="generation-result">
      <h3 id="result-heading" ref={heading} tabIndex={-1} className={styles.resultTitle}>
        Behold your superhero!
      </h3>
      <div className={styles.resultGrid}>
        <BeforeAfter {...beforeAfterSources(generation, imageUrl, thumbnailWidth)} sizes={PICTURE_SIZES} />
        <div className={styles.resultActions}>
          <p>Drag the slider to compare. {remainingCredits} credits remaining.</p>
          <a className="btn btn-primary" href={mediaSrc(imageUrl)} download={`aivenger-${generation.id}.jpg`}>
            <Download aria-hidden size={18} />
            Download
          </a>
          <Link className="btn btn-secondary" to={`/gallery/${encodeURIComponent(generation.id)}`}>
            <Images aria-hidden size={18} />
            Open in gallery
          </Link>
          <button type="button" className="btn btn-ghost" onClick={onCreateAnother}>
            <RotateCcw aria-hidden size={18} />
            Create another
          </button>
        </div>
      </div>
    </section>
  );
}
