import { Download, Images, RotateCcw } from "lucide-react";
import { useEffect, useRef } from "react";
import { Link } from "react-router";
import type { Generation } from "../../api/types";
import { BeforeAfter } from "../../components/BeforeAfter";
import styles from "./GenerationResult.module.css";

interface Props {
  generation: Generation;
  imageUrl: string;
  remainingCredits: number;
  onCreateAnother: () => void;
}

export function GenerationResult({ generation, imageUrl, remainingCredits, onCreateAnother }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);

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
        <BeforeAfter beforeSrc={generation.originalImageUrl} afterSrc={imageUrl} />
        <div className={styles.resultActions}>
          <p>Drag the slider to compare. {remainingCredits} credits remaining.</p>
          <a className="btn btn-primary" href={imageUrl} download={`aivenger-${generation.id}.png`}>
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
