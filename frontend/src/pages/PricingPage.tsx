import { BadgeCheck, Check, Coins, Crown, Loader2, Rocket, Shield, Zap } from "lucide-react";
import { useEffect, type ReactNode } from "react";
import { Link } from "react-router";
import { useBilling, usePlans } from "../api/billing";
import { ApiError, messageOf } from "../api/errors";
import { useClientConfig } from "../api/queries";
import type { ClientConfig, CurrentPlan, Plan } from "../api/types";
import { useMe } from "../auth/useAuth";
import { LoadFailed } from "../components/LoadFailed";
import { useBuyPlan } from "../features/billing/checkoutReturn";
import { countOf, formatDate, formatMoney, transformationsFor } from "../lib/format";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./PricingPage.module.css";

type Prices = Pick<ClientConfig, "generationCost" | "signupCredits">;

const REGISTER_THEN_PRICING = `/register?next=${encodeURIComponent("/pricing")}`;

function iconFor(plan: Plan): ReactNode {
  if (plan.kind === "contact") return <Crown size={26} />;
  if (plan.kind === "one_time") return <Coins size={26} />;
  return plan.priority ? <Rocket size={26} /> : <Zap size={26} />;
}

function priceOf(plan: Plan): { amount: string; period?: string } {
  if (plan.kind === "contact" || plan.priceCents === null) return { amount: "Custom" };
  const amount = formatMoney(plan.priceCents, plan.currency);
  if (plan.kind === "one_time") return { amount, period: "once" };
  return { amount, period: plan.interval ? `per ${plan.interval}` : undefined };
}

function creditsLine(plan: Plan): string {
  if (plan.kind === "contact") return "Volume by agreement";
  if (plan.kind === "one_time") return `${plan.credits} credits, once`;
  return `${plan.credits} credits every ${plan.interval ?? "month"}`;
}

/** What a plan's credits buy, at the API's price of a transformation; left out while that price loads. */
function featuresOf(plan: Plan, prices: Prices | undefined): string[] {
  if (plan.kind === "contact") return ["Unlimited use by agreement", "API access", "Dedicated support"];
  if (plan.kind === "one_time") {
    return [
      prices ? countOf(transformationsFor(plan.credits, prices.generationCost), "transformation") : "Transformations",
      "No subscription",
      "All styles",
    ];
  }
  return [
    prices
      ? `${transformationsFor(plan.credits, prices.generationCost)} transformations a month`
      : "Transformations every month",
    ...(plan.priority ? ["Starts first when the queue is busy"] : []),
    "All styles",
    "Cancel any time",
  ];
}

function freeFeatures(prices: Prices | undefined): string[] {
  return [
    prices
      ? countOf(transformationsFor(prices.signupCredits, prices.generationCost), "superhero transformation")
      : "Superhero transformations",
    "All three styles",
    "Private gallery",
    "Full-size downloads",
  ];
}

function Features({ items }: { items: string[] }) {
  return (
    <ul className={styles.features}>
      {items.map((feature) => (
        <li key={feature}>
          <Check aria-hidden size={18} />
          {feature}
        </li>
      ))}
    </ul>
  );
}

function buyErrorMessage(error: unknown, plan: Plan): ReactNode {
  if (error instanceof ApiError && error.code === "ALREADY_SUBSCRIBED") {
    return (
      <>
        You already have {plan.name}. <Link to="/account/billing">Manage it on your billing page</Link>.
      </>
    );
  }
  if (error instanceof ApiError && error.code === "PAYMENTS_UNAVAILABLE") {
    return "Payments are unavailable right now. Nothing was charged; please try again in a few minutes.";
  }
  return messageOf(error);
}

function currentPlanNote(current: CurrentPlan): string {
  if (current.status === "canceled") return current.endsAt ? `Ends on ${formatDate(current.endsAt)}` : "Canceled";
  if (current.status === "past_due") return "Payment due";
  return current.renewsAt ? `Renews on ${formatDate(current.renewsAt)}` : "Active";
}

export function PricingPage() {
  useDocumentTitle("Pricing");
  const me = useMe();
  const signedIn = Boolean(me.data);
  const prices = useClientConfig().data;
  const plans = usePlans();
  const billing = useBilling({ enabled: signedIn });
  const current = signedIn ? (billing.data?.plan ?? null) : null;
  const buy = useBuyPlan();
  const { reset: resetBuy } = buy;
  // Leaving for the payment page keeps the buttons busy; coming back with the Back button brings them back.
  const leaving = buy.isPending || buy.isSuccess;

  useEffect(() => {
    const onPageShow = (event: PageTransitionEvent) => {
      if (event.persisted) resetBuy();
    };
    window.addEventListener("pageshow", onPageShow);
    return () => window.removeEventListener("pageshow", onPageShow);
  }, [resetBuy]);

  const ctaFor = (plan: Plan): ReactNode => {
    if (plan.kind === "contact") {
      return plan.contactUrl ? (
        <a href={plan.contactUrl} className="btn btn-secondary btn-block">
          Contact sales
        </a>
      ) : null;
    }
    if (!signedIn) {
      return (
        <Link to={REGISTER_THEN_PRICING} className="btn btn-primary btn-block">
          Sign up for {plan.name}
        </Link>
      );
    }
    if (current?.id === plan.id && current.status !== "canceled") {
      return (
        <Link to="/account/billing" className="btn btn-secondary btn-block">
          Manage your plan
        </Link>
      );
    }
    const buying = buy.isPending && buy.variables === plan.id;
    return (
      <button
        type="button"
        className="btn btn-primary btn-block"
        disabled={leaving}
        aria-describedby={buy.isError && buy.variables === plan.id ? `buy-error-${plan.id}` : undefined}
        onClick={() =>
          buy.mutate(plan.id, {
            onError: (error) => {
              // The plan changed elsewhere (another tab, the portal): show what the account really has.
              if (error instanceof ApiError && error.code === "ALREADY_SUBSCRIBED") void billing.refetch();
            },
          })
        }
      >
        {buying ? (
          <>
            <Loader2 aria-hidden className="spin" size={18} /> Opening checkout…
          </>
        ) : (
          `Buy ${plan.name}`
        )}
      </button>
    );
  };

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Power up</p>
        <h1 className="page-title">Plans &amp; pricing</h1>
        <p className={styles.lead}>
          {prices && `Every transformation uses ${prices.generationCost} credits. `}Start free, then add credits with a
          monthly plan or a one-time pack.
        </p>
      </header>
      {plans.isError && <LoadFailed what="The plans" onRetry={plans.refetch} />}
      <ul className={styles.plans} aria-busy={plans.isPending}>
        <li className={styles.plan} aria-labelledby="plan-free">
          <span className={styles.icon} aria-hidden>
            <Shield size={26} />
          </span>
          <h2 id="plan-free" className={styles.name}>
            Free
          </h2>
          <p className={styles.price}>
            <span className={styles.amount}>{formatMoney(0, plans.data?.[0]?.currency ?? "usd")}</span>
          </p>
          <p className={styles.credits}>
            {prices ? `${prices.signupCredits} credits on signup` : "Free credits on signup"}
          </p>
          <Features items={freeFeatures(prices)} />
          <div className={styles.cta}>
            {signedIn ? (
              <Link to="/dashboard" className="btn btn-secondary btn-block">
                Your free credits
              </Link>
            ) : (
              <Link to="/register" className="btn btn-primary btn-block">
                Start free
              </Link>
            )}
          </div>
        </li>
        {plans.data?.map((plan) => {
          const price = priceOf(plan);
          const isCurrent = current?.id === plan.id;
          const highlight = plan.priority && plan.kind === "subscription";
          return (
            <li
              key={plan.id}
              className={`${styles.plan} ${highlight ? styles.highlight : ""} ${isCurrent ? styles.current : ""}`}
              aria-labelledby={`plan-${plan.id}`}
            >
              {highlight && <span className={styles.ribbon}>Most heroic</span>}
              <span className={styles.icon} aria-hidden>
                {iconFor(plan)}
              </span>
              <h2 id={`plan-${plan.id}`} className={styles.name}>
                {plan.name}
              </h2>
              {(isCurrent || plan.priority) && (
                <p className={styles.marks}>
                  {isCurrent && current && (
                    <>
                      <span className={`${styles.mark} ${styles.yours}`}>
                        <BadgeCheck aria-hidden size={16} /> Your plan
                      </span>
                      <span className={styles.markNote}>{currentPlanNote(current)}</span>
                    </>
                  )}
                  {plan.priority && (
                    <span className={`${styles.mark} ${styles.priority}`}>
                      <Rocket aria-hidden size={16} /> Priority queue
                    </span>
                  )}
                </p>
              )}
              <p className={styles.price}>
                <span className={styles.amount}>{price.amount}</span>
                {price.period && <span className={styles.period}>{price.period}</span>}
              </p>
              <p className={styles.credits}>{creditsLine(plan)}</p>
              <Features items={featuresOf(plan, prices)} />
              <div className={styles.cta}>
                {ctaFor(plan)}
                {buy.isError && buy.variables === plan.id && (
                  <p id={`buy-error-${plan.id}`} className={`notice notice-error ${styles.error}`} role="alert">
                    {buyErrorMessage(buy.error, plan)}
                  </p>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {plans.isPending && (
        <p className={styles.loading} role="status">
          <Loader2 aria-hidden className="spin" size={20} /> Loading plans…
        </p>
      )}
      <p className={styles.footnote}>
        Credits are taken when a transformation starts; a failed upload is refunded. Monthly plans add their credits
        each month until you cancel, which you can do any time from your billing page.
      </p>
    </div>
  );
}
