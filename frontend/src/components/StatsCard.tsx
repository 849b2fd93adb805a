import type { ReactNode } from "react";
import styles from "./StatsCard.module.css";

interface Props {
  label: string;
  value: ReactNode;
  icon: ReactNode;
  description: ReactNode;
  tone?: "yellow" | "red" | "blue";
  testId?: string;
}

export function StatsCard({ label, value, icon, description, tone = "yellow", testId }: Props) {
  return (
    <section className={`${styles.card} ${styles[tone]}`} aria-label={label} data-testid={testId}>
      <header className={styles.header}>
        <h2 className={styles.label}>{label}</h2>
        <span className={styles.icon} aria-hidden>
          {icon}
        </span>
      </header>
      <p className={styles.value}>{value}</p>
      <div className={styles.description}>{description}</div>
    </section>
  );
}
