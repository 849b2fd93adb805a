import { Loader2 } from "lucide-react";
import type { ReactNode } from "react";
import { useSearchParams } from "react-router";
import { useAdminStats } from "../../api/admin";
import { usePlans } from "../../api/billing";
import { useStyles } from "../../api/queries";
import type { AdminStats } from "../../api/types";
import { LoadFailed } from "../../components/LoadFailed";
import { formatMoney, styleName } from "../../lib/format";
import { useDocumentTitle } from "../../lib/useDocumentTitle";
import { CreditsByDayChart, GenerationsByDayChart, HoursChart, StylesChart, fillDays } from "./charts";
import styles from "./Console.module.css";

const PERIODS = [7, 30, 90] as const;
const DEFAULT_PERIOD = 30;

const whole = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const usd = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

function seconds(value: number | null): string {
  return value === null ? "—" : `${value.toFixed(1)} s`;
}

function Figure({ label, value, detail }: { label: string; value: ReactNode; detail?: ReactNode }) {
  return (
    <div className={styles.figure}>
      <dt>{label}</dt>
      <dd className={styles.figureValue}>{value}</dd>
      {detail !== undefined && <dd className={styles.figureDetail}>{detail}</dd>}
    </div>
  );
}

function Headlines({ stats, currency }: { stats: AdminStats; currency: string }) {
  const { generations, retention } = stats;
  return (
    <section className={styles.block} aria-labelledby="headlines-heading">
      <h2 id="headlines-heading" className="panel-title">
        Headline numbers
      </h2>
      <dl className={styles.figures}>
        <Figure
          label="Generations"
          value={whole.format(generations.total)}
          detail={`${generations.completed} completed · ${generations.failed} failed · ${generations.pending} pending`}
        />
        <Figure
          label="Success rate"
          value={stats.successRate === null ? "—" : percent.format(stats.successRate)}
          detail="of finished generations"
        />
        <Figure label="Credits spent" value={whole.format(stats.creditsSpent)} detail="taken by generations" />
        <Figure label="Credits refunded" value={whole.format(stats.creditsRefunded)} />
        <Figure label="Credits purchased" value={whole.format(stats.creditsPurchased)} />
        <Figure label="Revenue" value={formatMoney(stats.revenueCents, currency)} />
        <Figure
          label="Provider cost"
          value={usd.format(stats.providerCostUsd)}
          detail="as the model provider reports it"
        />
        <Figure label="Margin" value={formatMoney(stats.marginCents, currency)} detail="revenue less provider cost" />
        <Figure label="Signups" value={whole.format(stats.signups)} />
        <Figure label="Active users" value={whole.format(stats.activeUsers)} detail="who generated" />
        <Figure
          label="Retention"
          value={retention.firstGeneration === 0 ? "—" : percent.format(retention.returned / retention.firstGeneration)}
          detail={`${retention.returned} of ${retention.firstGeneration} first-time creators came back on a later day`}
        />
      </dl>
      <h3 className={styles.subTitle}>Generation time</h3>
      <dl className={`${styles.figures} ${styles.timings}`}>
        <Figure label="Median (p50)" value={seconds(stats.generationSeconds.p50)} />
        <Figure label="95th percentile" value={seconds(stats.generationSeconds.p95)} />
        <Figure label="Average" value={seconds(stats.generationSeconds.avg)} />
      </dl>
    </section>
  );
}

function periodFrom(value: string | null): number {
  const days = Number(value);
  return (PERIODS as readonly number[]).includes(days) ? days : DEFAULT_PERIOD;
}

/** The service at a glance over the last 7, 30 or 90 days. */
export function ConsoleDashboardPage() {
  useDocumentTitle("Console overview");
  const [params, setParams] = useSearchParams();
  const days = periodFrom(params.get("days"));
  const stats = useAdminStats(days);
  const stylesList = useStyles().data;
  // The API states revenue in the currency the plans are sold in.
  const currency = usePlans().data?.find((plan) => plan.priceCents !== null)?.currency ?? "usd";

  return (
    <div className={styles.page}>
      <header className={`page-intro ${styles.intro}`}>
        <p className="kicker">Operators' console</p>
        <h1 className="page-title">Service overview</h1>
      </header>

      <div className={styles.toolbar}>
        <div role="group" aria-label="Period" className={styles.segmented}>
          {PERIODS.map((period) => (
            <button
              key={period}
              type="button"
              aria-pressed={period === days}
              className={`${styles.segment} ${period === days ? styles.segmentOn : ""}`}
              onClick={() => setParams(period === DEFAULT_PERIOD ? {} : { days: String(period) }, { replace: true })}
            >
              {period} days
            </button>
          ))}
        </div>
        {stats.isFetching && !stats.isPending && (
          <span className={styles.muted} role="status">
            <Loader2 aria-hidden className="spin" size={16} /> Updating…
          </span>
        )}
      </div>

      {stats.isPending ? (
        <p className={styles.muted}>Loading the numbers…</p>
      ) : stats.isError ? (
        <LoadFailed what="The numbers" error={stats.error} onRetry={stats.refetch} />
      ) : (
        <>
          <Headlines stats={stats.data} currency={currency} />
          <section className={styles.block} aria-labelledby="charts-heading">
            <h2 id="charts-heading" className="panel-title">
              Over the last {stats.data.days} days
            </h2>
            <div className={styles.charts}>
              <GenerationsByDayChart days={fillDays(stats.data.byDay, stats.data.days)} />
              <CreditsByDayChart days={fillDays(stats.data.byDay, stats.data.days)} />
              <HoursChart byHour={stats.data.byHour} />
              <StylesChart byStyle={stats.data.byStyle} nameOf={(id) => styleName(id, stylesList)} />
            </div>
          </section>
        </>
      )}
    </div>
  );
}
