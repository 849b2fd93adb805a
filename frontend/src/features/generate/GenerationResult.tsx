import { Images, RotateCcw } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import type { Generation } from "../../api/types";
import { BeforeAfter } from "../../components/BeforeAfter";
import { useClientConfig, useGeneration } from "../../api/queries";
import { cssRatio } from "../../lib/creative";
import { beforeAfterSources, thumbnailSrc } from "../../lib/images";
import { RefinementChain } from "../result/RefinementChain";
import { ResultActions, type StartFromResult } from "../result/ResultActions";
import styles from "./GenerationResult.module.css";

// As wide as the result's picture column is drawn (GenerationResult.module.css): full width on a phone.
const PICTURE_SIZES = "(max-width: 860px) calc(100vw - 64px), 420px";

interface Props {
  generation: Generation;
  /** Every generation of the request (its variations); one is shown at a time. */
  batch?: Generation[];
  remainingCredits: number;
  onCreateAnother: () => void;
  onStart: StartFromResult;
  busy?: boolean;
}

export function GenerationResult({
  generation,
  batch = [generation],
  remainingCredits,
  onCreateAnother,
  onStart,
  busy,
}: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const thumbnailWidth = useClientConfig().data?.thumbnailSize;
  const [chosenId, setChosenId] = useState(generation.id);
  const chosenInBatch = batch.find((item) => item.id === chosenId) ?? generation;
  // Read through the cache, so a share made here shows at once.
  const chosen = useGeneration(chosenInBatch.id, { initialData: chosenInBatch }).data ?? chosenInBatch;
  const imageUrl = chosen.generatedImageUrl;

  // The result appears below the form: bring it into view, and tell screen readers where they are.
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
    heading.current?.scrollIntoView?.({ behavior: "smooth", block: "start" });
  }, []);

  return (
    <section className={styles.result} aria-labelledby="result-heading" data-testid="generation-result">
      <h3 id="result-heading" ref={heading} tabIndex={-1} className={styles.resultTitle}>
        {batch.length > 1 ? "Behold your superheroes!" : "Behold your superhero!"}
      </h3>
      {batch.length > 1 && (
        <div className={styles.batch} role="group" aria-label="Your variations">
          {batch.map((item, index) => (
            <button
              key={item.id}
              type="button"
              className={`${styles.variation} ${item.id === chosen.id ? styles.chosen : ""}`}
              aria-pressed={item.id === chosen.id}
              disabled={!item.generatedImageUrl}
              onClick={() => setChosenId(item.id)}
            >
              {item.generatedImageUrl ? (
                <img src={thumbnailSrc(item.thumbnailUrl, item.generatedImageUrl)} alt="" />
              ) : (
                <span className={styles.failedVariation} aria-hidden>
                  ✕
                </span>
              )}
              <span>
                Variation {index + 1}
                {item.status === "failed" ? " (failed)" : ""}
              </span>
            </button>
          ))}
        </div>
      )}
      <div className={styles.resultGrid}>
        {imageUrl && (
          <BeforeAfter
            {...beforeAfterSources(chosen, imageUrl, thumbnailWidth)}
            sizes={PICTURE_SIZES}
            ratio={cssRatio(chosen.aspectRatio, chosen.width, chosen.height)}
          />
        )}
        <div className={styles.resultActions}>
          <p>Drag the slider to compare. {remainingCredits} credits remaining.</p>
          <ResultActions generation={chosen} onStart={onStart} busy={busy} />
          <RefinementChain generation={chosen} />
          <div className={styles.more}>
            <Link className="btn btn-ghost" to={`/gallery/${encodeURIComponent(chosen.id)}`}>
              <Images aria-hidden size={18} />
              Open in gallery
            </Link>
            <button type="button" className="btn btn-ghost" onClick={onCreateAnother}>
              <RotateCcw aria-hidden size={18} />
              Create another
            </button>
          </div>
        </div>
      </div>
    </section>
  );
}
