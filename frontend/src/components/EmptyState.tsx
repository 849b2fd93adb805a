import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import styles from "./EmptyState.module.css";

/** What a list page shows when it has nothing to list: an icon, a title, a sentence, and perhaps a way onward. */
export function EmptyState({ icon: Icon, title, children }: { icon: LucideIcon; title: string; children: ReactNode }) {
  return (
    <div className={`panel ${styles.empty}`}>
      <span className={styles.icon} aria-hidden>
        <Icon size={40} />
      </span>
      <h2 className="section-title">{title}</h2>
      {children}
    </div>
  );
}
