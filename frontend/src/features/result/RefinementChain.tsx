import { Link } from "react-router";
import { useGeneration } from "../../api/queries";
import type { Generation } from "../../api/types";
import { thumbnailSrc } from "../../lib/images";
import styles from "./RefinementChain.module.css";

const MAX_DEPTH = 6;

function Step({ generation, current = false }: { generation: Generation; current?: boolean }) {
  const label = generation.parentId ? `Refined: ${generation.prompt ?? "a change"}` : "First result";
  const picture = generation.generatedImageUrl ? (
    <img src={thumbnailSrc(generation.thumbnailUrl, generation.generatedImageUrl)} alt="" loading="lazy" />
  ) : (
    <span className={styles.empty} aria-hidden />
  );
  return (
    <li className={styles.step}>
      {current ? (
        <span className={`${styles.card} ${styles.current}`} aria-current="true">
          {picture}
          <span className={styles.label}>{label} (this one)</span>
        </span>
      ) : (
        <Link className={styles.card} to={`/gallery/${encodeURIComponent(generation.id)}`}>
          {picture}
          <span className={styles.label}>{label}</span>
        </Link>
      )}
    </li>
  );
}

/** The results before this one, oldest first, each found through its refinement's parentId. */
function Ancestors({ id, depth }: { id: string; depth: number }) {
  const parent = useGeneration(id);
  if (!parent.data) return null;
  return (
    <>
      {parent.data.parentId && depth < MAX_DEPTH && <Ancestors id={parent.data.parentId} depth={depth + 1} />}
      <Step generation={parent.data} />
    </>
  );
}

/** Where a result comes from and what was made of it: parent → this → its refinements. */
export function RefinementChain({
  generation,
  refinements = [],
}: {
  generation: Generation;
  refinements?: Generation[];
}) {
  if (!generation.parentId && refinements.length === 0) return null;
  return (
    <nav className={styles.chain} aria-label="Refinements">
      <h4 className={styles.heading}>Refinements</h4>
      <ol className={styles.list}>
        {generation.parentId && <Ancestors id={generation.parentId} depth={1} />}
        <Step generation={generation} current />
        {refinements.map((refinement) => (
          <Step key={refinement.id} generation={refinement} />
        ))}
      </ol>
    </nav>
  );
}
