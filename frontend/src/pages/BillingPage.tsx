import { CircleCheck, CreditCard, History, Loader2, Receipt } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useBilling, useLedger, usePlans, usePortal, usePurchases } from "../api/billing";
import { ApiError, messageOf } from "../api/errors";
import type { CurrentPlan, LedgerReason, Plan, Purchase } from "../api/types";
import { LedgerRow } from "../components/LedgerRow";
import { LoadFailed } from "../components/LoadFailed";
import { useCheckoutReturn } from "../features/billing/checkoutReturn";
import { countOf, formatDate, formatDateTime, formatMoney } from "../lib/format";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./BillingPage.module.css";

const REASONS: Record<LedgerReason, string> = {
  signup: "Welcome credits",
  generation: "Transformation",
  refund: "Refund for a transformation",
  purchase: "Purchase",
  purchase_refund: "Purchase refunded",
  admin: "Adjustment by our team",
};

const STATUS: Record<CurrentPlan["status"], string> = {
  active: "Active",
  canceled: "Canceled",
  past_due: "Payment due",
};

/** Notes worth showing beside a movement: why the team adjusted a balance (the others say no more than the reason). */
const NOTED: LedgerReason[] = ["admin"];

function planName(plans: Plan[] | undefined, id: string): string {
  return plans?.find((plan) => plan.id === id)?.name ?? id;
}

function CheckoutStatus({ plan, plans }: { plan: string; plans: Plan[] | undefined }) {
  const navigate = useNavigate();
  // Once the credits are in, the address drops ?checkout=success so that a reload doesn't wait for them again.
  const outcome = useCheckoutReturn(plan, () => navigate("/account/billing", { replace: true }));
  if (outcome.state === "none") return null;
  return (
    <div role="status" className={styles.checkout}>
      {outcome.state === "landed" ? (
        <p className={`notice ${styles.landed}`}>
          <CircleCheck aria-hidden size={22} />
          <span>
            <strong>Payment received: {countOf(outcome.credits, "credit")} added.</strong>
            {plan && ` Thank you for buying ${planName(plans, plan)}.`}
          </span>
        </p>
      ) : outcome.slow ? (
        <p className="notice">Your payment is being confirmed; credits appear here as soon as it is.</p>
      ) : (
        <p className={`notice ${styles.confirming}`}>
          <Loader2 aria-hidden className="spin" size={20} />
          Confirming your payment…
        </p>
      )}
    </div>
  );
}

function PlanSection({ plans, purchases }: { plans: Plan[] | undefined; purchases: Purchase[] | undefined }) {
  const billing = useBilling();
  const portal = usePortal();
  const current = billing.data?.plan ?? null;
  const nothingToManage = portal.error instanceof ApiError && portal.error.code === "NO_PURCHASES";
  // The portal is for accounts that bought something; a plan or a purchase on record says so.
  const canManage = !nothingToManage && (current !== null || (purchases?.length ?? 0) > 0);

  return (
    <section className="panel panel-section" aria-labelledby="plan-heading">
      <h2 id="plan-heading" className="panel-title">
        <CreditCard aria-hidden size={22} /> Your plan
      </h2>
      {billing.isPending ? (
        <p className={styles.muted}>Loading your plan…</p>
      ) : billing.isError ? (
        <LoadFailed what="Your plan" onRetry={billing.refetch} />
      ) : current ? (
        <div className={styles.plan}>
          <p className={styles.planName}>
            <strong>{planName(plans, current.id)}</strong>
            <span className={`${styles.status} ${styles[current.status]}`}>{STATUS[current.status]}</span>
          </p>
          {current.status === "canceled" ? (
            <p>
              {current.endsAt
                ? `Canceled: it ends on ${formatDate(current.endsAt)} and won't renew.`
                : "Canceled: it won't renew."}{" "}
              Your credits stay yours.
            </p>
          ) : (
            <>
              {current.status === "past_due" && (
                <p>Your last payment didn't go through. Update your payment method to keep your plan.</p>
              )}
              {current.renewsAt && <p>Renews on {formatDate(current.renewsAt)}.</p>}
            </>
          )}
        </div>
      ) : (
        <p>
          No monthly plan: you're using your free and one-time credits. <Link to="/pricing">See the plans</Link>
        </p>
      )}
      {canManage && (
        <div>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={portal.isPending || portal.isSuccess}
            onClick={() => portal.mutate(undefined, { onSuccess: (url) => window.location.assign(url) })}
          >
            {portal.isPending || portal.isSuccess ? (
              <>
                <Loader2 aria-hidden className="spin" size={18} /> Opening…
              </>
            ) : current ? (
              "Manage or cancel"
            ) : (
              "Receipts and payment details"
            )}
          </button>
        </div>
      )}
      {nothingToManage ? (
        <p role="status" className={styles.muted}>
          There is nothing to manage yet: this account hasn't bought anything. <Link to="/pricing">See the plans</Link>
        </p>
      ) : (
        portal.isError && (
          <p className="notice notice-error" role="alert">
            {portal.error instanceof ApiError && portal.error.code === "PAYMENTS_UNAVAILABLE"
              ? "Payments are unavailable right now; please try again in a few minutes."
              : messageOf(portal.error)}
          </p>
        )
      )}
    </section>
  );
}

function PurchasesSection({ plans }: { plans: Plan[] | undefined }) {
  const purchases = usePurchases();
  return (
    <section className="panel panel-section" aria-labelledby="purchases-heading">
      <h2 id="purchases-heading" className="panel-title">
        <Receipt aria-hidden size={22} /> Purchases
      </h2>
      {purchases.isPending ? (
        <p className={styles.muted}>Loading your purchases…</p>
      ) : purchases.isError ? (
        <LoadFailed what="Your purchases" onRetry={purchases.refetch} />
      ) : purchases.data.length === 0 ? (
        <p className={styles.muted}>Nothing bought yet.</p>
      ) : (
        <ul className="list-rows" aria-labelledby="purchases-heading">
          {purchases.data.map((purchase) => (
            <li key={purchase.orderId} className="list-row">
              <div className="list-row-what">
                <strong>{planName(plans, purchase.planId)}</strong>
                <span className="list-row-detail">{formatDateTime(purchase.createdAt)}</span>
                {purchase.refundedCents > 0 && (
                  <span className={styles.refunded}>
                    Refunded {formatMoney(purchase.refundedCents, purchase.currency)}
                  </span>
                )}
              </div>
              <div className="list-row-end">
                <span className={styles.money}>{formatMoney(purchase.amountCents, purchase.currency)}</span>
                <span className="list-row-detail">{countOf(purchase.credits, "credit")}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function LedgerSection() {
  const ledger = useLedger();
  const entries = ledger.data?.pages.flatMap((page) => page.entries) ?? [];
  return (
    <section className="panel panel-section" aria-labelledby="ledger-heading">
      <h2 id="ledger-heading" className="panel-title">
        <History aria-hidden size={22} /> Credit history
      </h2>
      {ledger.isPending ? (
        <p className={styles.muted}>Loading your credit history…</p>
      ) : ledger.isError && entries.length === 0 ? (
        <LoadFailed what="Your credit history" onRetry={ledger.refetch} />
      ) : entries.length === 0 ? (
        <p className={styles.muted}>No credits in or out yet.</p>
      ) : (
        <>
          <ul className="list-rows" aria-labelledby="ledger-heading">
            {entries.map((entry) => (
              <LedgerRow
                key={entry.id}
                entry={entry}
                label={REASONS[entry.reason]}
                note={NOTED.includes(entry.reason) ? entry.note : null}
              />
            ))}
          </ul>
          {ledger.isFetchNextPageError && (
            <p className="notice notice-error" role="alert">
              {messageOf(ledger.error)}
            </p>
          )}
          {ledger.hasNextPage && (
            <div>
              <button
                type="button"
                className="btn btn-secondary"
                disabled={ledger.isFetchingNextPage}
                onClick={() => void ledger.fetchNextPage()}
              >
                {ledger.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

export function BillingPage() {
  useDocumentTitle("Billing");
  const [params] = useSearchParams();
  // The return from the payment page, read once: the address loses it when the credits are in.
  const [returnedFor] = useState(() => (params.get("checkout") === "success" ? (params.get("plan") ?? "") : null));
  const billing = useBilling();
  const plans = usePlans().data;
  const purchases = usePurchases().data;

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Power supply</p>
        <h1 className="page-title">Billing</h1>
        <p className={styles.lead}>
          {billing.data && <>You have {countOf(billing.data.credits, "credit")}. </>}
          <Link to="/pricing">Get credits</Link>
        </p>
      </header>
      {returnedFor !== null && <CheckoutStatus plan={returnedFor} plans={plans} />}
      <PlanSection plans={plans} purchases={purchases} />
      <PurchasesSection plans={plans} />
      <LedgerSection />
    </div>
  );
}
