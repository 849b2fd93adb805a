import type { AdminUser, LedgerReason, Plan } from "../../api/types";
import styles from "./Console.module.css";

/** The plan's name as it is sold, or what the account has without one. */
export function planLabel(plan: string | null, plans: Plan[] | undefined): string {
  if (plan === null) return "No plan";
  return plans?.find((candidate) => candidate.id === plan)?.name ?? plan;
}

/** Whether the account can log in, has confirmed its email, and runs the console itself. */
export function AccountBadges({ user }: { user: Pick<AdminUser, "isActive" | "isVerified" | "isSuperuser"> }) {
  return (
    <span className={styles.badges}>
      {user.isActive ? (
        <span className={`${styles.badge} ${styles.good}`}>Active</span>
      ) : (
        <span className={`${styles.badge} ${styles.bad}`}>Disabled</span>
      )}
      <span className={`${styles.badge} ${user.isVerified ? styles.good : styles.plain}`}>
        {user.isVerified ? "Verified" : "Unverified"}
      </span>
      {user.isSuperuser && <span className={`${styles.badge} ${styles.plain}`}>Administrator</span>}
    </span>
  );
}

export const LEDGER_REASONS: Record<LedgerReason, string> = {
  signup: "Welcome credits",
  generation: "Generation",
  refund: "Refund of a generation",
  purchase: "Purchase",
  purchase_refund: "Purchase refunded",
  admin: "Adjustment by an administrator",
};

const ACTIONS: Record<string, string> = {
  credits: "Credits adjusted",
  refund: "Generation refunded",
  disable: "Account disabled",
  enable: "Account enabled",
  "make-admin": "Made an administrator",
  "revoke-admin": "No longer an administrator",
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}
