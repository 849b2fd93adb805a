import { useId, useState } from "react";
import styles from "./BeforeAfter.module.css";
import { mediaSrc } from "../api/client";

interface Props {
  beforeSrc: string;
  afterSrc: string;
  beforeAlt?: string;
  afterAlt?: string;
}

/**
 * The transformed portrait with the original revealed from the left. The slider is a real range input,
 * so it works with a keyboard and a screen reader as well as with a finger.
 */
export function BeforeAfter({
  beforeSrc,
  afterSrc,
  beforeAlt = "Original portrait",
  afterAlt = "Superhero portrait",
}: Props) {
  const [position, setPosition] = useState(50);
  const id = useId();
  return (
    <div className={styles.compare} style={{ ["--position" as string]: `${position}%` }}>
      <img className={styles.after} src={mediaSrc(afterSrc)} alt={afterAlt} draggable={false} />
      <img className={styles.before} src={mediaSrc(beforeSrc)} alt={beforeAlt} draggable={false} />
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
