import styles from "./Logo.module.css";

export function Logo({ size = "md" }: { size?: "md" | "lg" }) {
  return (
    <span className={`${styles.logo} ${styles[size]}`}>
      <svg className={styles.mark} viewBox="0 0 64 64" aria-hidden focusable="false">
        <path
          d="M32 2 40 22 62 22 44 36 51 60 32 46 13 60 20 36 2 22 24 22Z"
          fill="#ffd000"
          stroke="#111"
          strokeWidth="4"
          strokeLinejoin="round"
        />
        <path
          d="M35 14 25 35h8l-4 15 12-22h-8l4-14Z"
          fill="#e0182d"
          stroke="#111"
          strokeWidth="2"
          strokeLinejoin="round"
        />
      </svg>
      <span className={styles.word}>
        AI<span className={styles.accent}>Venger</span>
      </span>
    </span>
  );
}
