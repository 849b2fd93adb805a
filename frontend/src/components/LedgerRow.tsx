import type { LedgerEntry } from "../api/types";
import { formatDateTime, signed } from "../lib/format";
import styles from "./LedgerRow.module.css";

/** Credits in (green, "+50") or out (red, "−10"), read out as "… credits". */
export function CreditAmount({ amount }: { amount: number }) {
  return (
    <span className={`${styles.amount} ${amount < 0 ? styles.out : styles.in}`}>
      {signed(amount)}
      <span className="visually-hidden"> credits</span>
    </span>
  );
}

/**
 * One credit movement: why (`label`, in the reader's words), an optional note, when, the amount and the balance
 * after it. A person's credit history and the console's show the same rows.
 */
export function LedgerRow({ entry, label, note }: { entry: LedgerEntry; label: string; note?: string | null }) {
  return (
    <li className="list-row">
      <div className="list-row-what">
        <strong>{label}</strong>
        {note && <span className={styles.note}>{note}</span>}
        <span className="list-row-detail">{formatDateTime(entry.createdAt)}</span>
      </div>
      <div className="list-row-end">
        <CreditAmount amount={entry.amount} />
        <span className="list-row-detail">Balance {entry.balanceAfter}</span>
      </div>
    </li>
  );
}
