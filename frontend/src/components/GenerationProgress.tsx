import { Check, Loader2, Upload, Wand2, X } from "lucide-react";
import { useEffect, useState } from "react";
import { formatElapsed } from "../lib/format";
import styles from "./GenerationProgress.module.css";

interface Props {
  stage: "uploading" | "generating";
  uploadProgress: number;
  startedAt: number;
  /** Stops the upload; offered only while the photo is on its way. */
  onCancel?: () => void;
}

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

const GENERATING_MESSAGES = [
  "Analysing your heroic features…",
  "Tailoring the costume…",
  "Setting up the dramatic lighting…",
  "Adding the final comic-book punch…",
];

export function GenerationProgress({ stage, uploadProgress, startedAt, onCancel }: Props) {
  const now = useNow(1000);
  const elapsedMs = now - startedAt;
  const percent = Math.round(Math.min(1, Math.max(0, uploadProgress)) * 100);
  const uploading = stage === "uploading";
  const message = GENERATING_MESSAGES[Math.floor(elapsedMs / 6000) % GENERATING_MESSAGES.length];

  return (
    <section className={styles.panel} aria-labelledby="progress-heading" data-testid="generation-progress">
      <h3 id="progress-heading" className={styles.heading}>
        {uploading ? "Uploading your portrait" : "Forging your superhero"}
      </h3>
      <ol className={styles.steps}>
        <li className={uploading ? styles.active : styles.done}>
          <span className={styles.icon} aria-hidden>
            {uploading ? <Upload size={16} /> : <Check size={16} />}
          </span>
          <span>Upload photo{uploading ? "" : ": done"}</span>
        </li>
        <li className={uploading ? styles.todo : styles.active}>
          <span className={styles.icon} aria-hidden>
            {uploading ? <Wand2 size={16} /> : <Loader2 size={16} className={styles.spin} />}
          </span>
          <span>AI transformation{uploading ? "" : ": in progress"}</span>
        </li>
        <li className={styles.todo}>
          <span className={styles.icon} aria-hidden>
            <Check size={16} />
          </span>
          <span>Saved to your gallery</span>
        </li>
      </ol>
      {uploading ? (
        <div className={styles.barBlock}>
          <div
            className={styles.bar}
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <span className={styles.fill} style={{ width: `${percent}%` }} />
          </div>
          <span className={styles.percent}>{percent}%</span>
          {onCancel && (
            <button type="button" className={`btn btn-ghost ${styles.cancel}`} onClick={onCancel}>
              <X aria-hidden size={18} />
              Cancel upload
            </button>
          )}
        </div>
      ) : (
        <p className={styles.message} role="status">
          {message}
        </p>
      )}
      <p className={styles.elapsed}>
        Elapsed <time dateTime={`PT${Math.floor(elapsedMs / 1000)}S`}>{formatElapsed(elapsedMs)}</time>
        {!uploading && <span> · usually 10 to 30 seconds</span>}
      </p>
    </section>
  );
}
