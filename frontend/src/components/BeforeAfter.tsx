import { useId, useState } from "react";
import type { ResponsiveSource } from "../lib/images";
import styles from "./BeforeAfter.module.css";

interface Props {
  before: ResponsiveSource;
  after: ResponsiveSource;
  /** How wide the comparison is drawn (the `sizes` attribute), so a small viewport fetches the thumbnails. */
  sizes: string;
  beforeAlt?: string;
  afterAlt?: string;
  /** The result's shape as a CSS aspect-ratio ("9 / 16"); square unless given. */
  ratio?: string;
}

/**
 * The transformed portrait with the original revealed from the left. The slider is a real range input,
 * so it works with a keyboard and a screen reader as well as with a finger.
 */
export function BeforeAfter({
  before,
  after,
  sizes,
  beforeAlt = "Original portrait",
  afterAlt = "Superhero portrait",
  ratio,
}: Props) {
  const [position, setPosition] = useState(50);
  const id = useId();
  return (
    <div
      className={styles.compare}
      style={{ ["--position" as string]: `${position}%`, ...(ratio ? { aspectRatio: ratio } : {}) }}
    >
      <img
        className={styles.after}
        src={after.src}
        srcSet={after.srcSet}
        sizes={after.srcSet ? sizes : undefined}
        alt={afterAlt}
        decoding="async"
        draggable={false}
      />
      <img
        className={styles.before}
        src={before.src}
        srcSet={before.srcSet}
        sizes={before.srcSet ? sizes : undefined}
        alt={beforeAlt}
        decoding="async"
        draggable={false}
      />
      <span className={`${styles.tag} ${styles.tagBefore}`} aria-hidden>
        Before
      </span>
      <span className={`${styles.tag} ${styles.tagAfter}`} aria-hidden>
        After
      </span>
      <span className={styles.divider} aria-hidden />
      <label htmlFor={id} className="visually-hidden">
        Before and after comparison: share of the original shown
      </label>
      <input
        id={id}
        className={styles.range}
        type="range"
        min={0}
        max={100}
        value={position}
        aria-valuetext={`${position}% original`}
        onChange={(event) => setPosition(Number(event.target.value))}
      />
    </div>
  );
}
