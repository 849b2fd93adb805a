import { Check, Crown, Rocket, Shield, Zap } from "lucide-react";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { useClientConfig } from "../api/queries";
import type { ClientConfig } from "../api/types";
import { useMe } from "../auth/useAuth";
import { countOf, transformationsFor } from "../lib/format";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./PricingPage.module.css";

type Prices = Pick<ClientConfig, "generationCost" | "signupCredits">;

interface Plan {
  id: string;
  name: string;
  price: string;
  period?: string;
  icon: ReactNode;
  highlight?: boolean;
  /** The plan's credits line and features. `prices` is undefined while the API's prices load: no numbers then. */
  credits: (prices: Prices | undefined) => string;
  features: (prices: Prices | undefined) => string[];
}

/** A paid plan's monthly credits, and what they buy at the API's price of a transformation. */
function monthly(credits: number) {
  return {
    credits: () => `${credits} credits every month`,
    transformations: (prices: Prices | undefined) =>
      prices
        ? `${transformationsFor(credits, prices.generationCost)} transformations a month`
        : "Transformations every month",
  };
}

const BASIC = monthly(100);
const PRO = monthly(300);

const PLANS: Plan[] = [
  {
    id: "free",
    name: "Free",
    price: "$0",
    credits: (prices) => (prices ? `${prices.signupCredits} credits on signup` : "Free credits on signup"),
    icon: <Shield size={26} />,
    features: (prices) => [
      prices
        ? countOf(transformationsFor(prices.signupCredits, prices.generationCost), "superhero transformation")
        : "Superhero transformations",
      "All three styles",
      "Private gallery",
      "Full-size downloads",
    ],
  },
  {
    id: "basic",
    name: "Basic",
    price: "$9.99",
    period: "/month",
    credits: BASIC.credits,
    icon: <Zap size={26} />,
    features: (prices) => [BASIC.transformations(prices), "All styles", "Private gallery", "Full-size downloads"],
  },
  {
    id: "pro",
    name: "Pro",
    price: "$29.99",
    period: "/month",
    credits: PRO.credits,
    icon: <Rocket size={26} />,
    features: (prices) => [PRO.transformations(prices), "Priority queue", "All styles", "Full-size downloads"],
    highlight: true,
  },
  {
    id: "enterprise",
    name: "Enterprise",
    price: "Custom",
    credits: () => "Unlimited generations",
    icon: <Crown size={26} />,
    features: () => ["Unlimited generations", "API access", "Priority queue", "Dedicated support"],
  },
];

export function PricingPage() {
  useDocumentTitle("Pricing");
  const me = useMe();
  const signedIn = Boolean(me.data);
  const prices = useClientConfig().data;

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Power up</p>
        <h1 className="page-title">Plans &amp; pricing</h1>
        <p className={styles.lead}>
          {prices && `Every transformation uses ${prices.generationCost} credits. `}Start free; paid plans are on their
          way.
        </p>
      </header>
      <ul className={styles.plans}>
        {PLANS.map((plan) => (
          <li
            key={plan.id}
            className={`${styles.plan} ${plan.highlight ? styles.highlight : ""}`}
            aria-labelledby={`plan-${plan.id}`}
          >
            {plan.highlight && <span className={styles.ribbon}>Most heroic</span>}
            <span className={styles.icon} aria-hidden>
              {plan.icon}
            </span>
            <h2 id={`plan-${plan.id}`} className={styles.name}>
              {plan.name}
            </h2>
            <p className={styles.price}>
              <span className={styles.amount}>{plan.price}</span>
              {plan.period && <span className={styles.period}>{plan.period}</span>}
            </p>
            <p className={styles.credits}>{plan.credits(prices)}</p>
            <ul className={styles.features}>
              {plan.features(prices).map((feature) => (
                <li key={feature}>
                  <Check aria-hidden size={18} />
                  {feature}
                </li>
              ))}
            </ul>
            <div className={styles.cta}>
              {plan.id === "free" ? (
                signedIn ? (
                  <Link to="/dashboard" className="btn btn-secondary btn-block">
                    Your free credits
                  </Link>
                ) : (
                  <Link to="/register" className="btn btn-primary btn-block">
                    Start free
                  </Link>
                )
              ) : (
                <button
                  type="button"
                  className="btn btn-primary btn-block"
                  disabled
                  aria-describedby={`soon-${plan.id}`}
                >
                  {plan.id === "enterprise" ? "Contact sales" : `Get ${plan.name}`}
                </button>
              )}
              {plan.id !== "free" && (
                <p id={`soon-${plan.id}`} className={styles.soon}>
                  Coming soon
                </p>
              )}
            </div>
          </li>
        ))}
      </ul>
      <p className={styles.footnote}>
        Purchases aren't available yet. Credits are taken when a transformation starts; a failed upload is refunded.
      </p>
    </div>
  );
}
