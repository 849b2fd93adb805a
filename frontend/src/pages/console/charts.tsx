import { useId, type ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { AdminDay } from "../../api/types";
import styles from "./Console.module.css";

const INK = "#14121f";
const COLORS = {
  completed: "#0d7a3a",
  failed: "#d90f2a",
  spent: "#1541d6",
  purchased: "#0d7a3a",
  hours: "#1541d6",
  styles: "#ffd000",
};
const AXIS = { fontSize: 12, fill: "#4a4560" };
const HEIGHT = 240;

const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

/** "Nov 22" for "2026-11-22" (a UTC day, as the API counts them). */
export function formatDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : dayLabel.format(date);
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Every day of the period, oldest first: the API lists only the days something happened, and a chart over time
 * must show the quiet days too.
 */
export function fillDays(byDay: AdminDay[], days: number, today = new Date()): AdminDay[] {
  const known = new Map(byDay.map((day) => [day.day, day]));
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1)));
  const first = byDay.reduce((earliest, day) => (day.day < earliest ? day.day : earliest), isoDay(start));
  const last = byDay.reduce((latest, day) => (day.day > latest ? day.day : latest), isoDay(today));
  const filled: AdminDay[] = [];
  for (let at = new Date(`${first}T00:00:00Z`); isoDay(at) <= last; at.setUTCDate(at.getUTCDate() + 1)) {
    const day = isoDay(at);
    filled.push(known.get(day) ?? { day, completed: 0, failed: 0, creditsSpent: 0, creditsPurchased: 0 });
  }
  return filled;
}

interface Column<Row> {
  label: string;
  value: (row: Row) => ReactNode;
}

/**
 * A chart with its words: a caption saying what it shows and what stands out, and the numbers as a table for
 * anyone who can't see the picture (the picture itself is hidden from assistive technology).
 */
function ChartFigure<Row>({
  title,
  summary,
  columns,
  rows,
  rowKey,
  children,
}: {
  title: string;
  summary: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string;
  children: ReactNode;
}) {
  const titleId = useId();
  return (
    <figure className={`panel ${styles.chart}`} aria-labelledby={titleId}>
      <figcaption className={styles.chartCaption}>
        <h3 id={titleId} className={styles.chartTitle}>
          {title}
        </h3>
        <p className={styles.muted}>{summary}</p>
      </figcaption>
      <div className={styles.plot} aria-hidden>
        <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={{ width: 480, height: HEIGHT }}>
          {children}
        </ResponsiveContainer>
      </div>
      <details className={styles.numbers}>
        <summary>The numbers</summary>
        <table className={styles.table}>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.label} scope="col">
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column, index) =>
                  index === 0 ? (
                    <th key={column.label} scope="row">
                      {column.value(row)}
                    </th>
                  ) : (
                    <td key={column.label}>{column.value(row)}</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function busiest<Row>(rows: Row[], value: (row: Row) => number): Row | undefined {
  return rows.reduce<Row | undefined>(
    (best, row) => (best === undefined || value(row) > value(best) ? row : best),
    undefined,
  );
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

export function GenerationsByDayChart({ days }: { days: AdminDay[] }) {
  const completed = sum(days.map((day) => day.completed));
  const failed = sum(days.map((day) => day.failed));
  const top = busiest(days, (day) => day.completed + day.failed);
  const summary =
    completed + failed === 0
      ? "No generations finished in this period."
      : `${completed} completed and ${failed} failed over ${days.length} days; the busiest day was ${formatDay(
          top?.day ?? "",
        )} with ${(top?.completed ?? 0) + (top?.failed ?? 0)}.`;
  return (
    <ChartFigure
      title="Generations per day"
      summary={summary}
      rows={days}
      rowKey={(day) => day.day}
      columns={[
        { label: "Day (UTC)", value: (day) => formatDay(day.day) },
        { label: "Completed", value: (day) => day.completed },
        { label: "Failed", value: (day) => day.failed },
      ]}
    >
      <BarChart data={days} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tickFormatter={formatDay} tick={AXIS} minTickGap={12} />
        <YAxis allowDecimals={false} tick={AXIS} />
        <Tooltip labelFormatter={(day) => formatDay(String(day))} />
        <Legend />
        <Bar
          dataKey="completed"
          name="Completed"
          stackId="outcome"
          fill={COLORS.completed}
          stroke={INK}
          isAnimationActive={false}
        />
        <Bar
          dataKey="failed"
          name="Failed"
          stackId="outcome"
          fill={COLORS.failed}
          stroke={INK}
          isAnimationActive={false}
        />
      </BarChart>
    </ChartFigure>
  );
}

export function CreditsByDayChart({ days }: { days: AdminDay[] }) {
  const spent = sum(days.map((day) => day.creditsSpent));
  const purchased = sum(days.map((day) => day.creditsPurchased));
  return (
    <ChartFigure
      title="Credits spent and purchased per day"
      summary={`${spent} credits spent on generations and ${purchased} purchased over ${days.length} days.`}
      rows={days}
      rowKey={(day) => day.day}
      columns={[
        { label: "Day (UTC)", value: (day) => formatDay(day.day) },
        { label: "Spent", value: (day) => day.creditsSpent },
        { label: "Purchased", value: (day) => day.creditsPurchased },
      ]}
    >
      <LineChart data={days} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="day" tickFormatter={formatDay} tick={AXIS} minTickGap={12} />
        <YAxis allowDecimals={false} tick={AXIS} />
        <Tooltip labelFormatter={(day) => formatDay(String(day))} />
        <Legend />
        <Line
          type="monotone"
          dataKey="creditsSpent"
          name="Spent"
          stroke={COLORS.spent}
          strokeWidth={3}
          dot={false}
          isAnimationActive={false}
        />
        <Line
          type="monotone"
          dataKey="creditsPurchased"
          name="Purchased"
          stroke={COLORS.purchased}
          strokeWidth={3}
          strokeDasharray="6 4"
          dot={false}
          isAnimationActive={false}
        />
      </LineChart>
    </ChartFigure>
  );
}

const hourLabel = (hour: number) => `${String(hour).padStart(2, "0")}:00`;

export function HoursChart({ byHour }: { byHour: number[] }) {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, generations: byHour[hour] ?? 0 }));
  const top = busiest(hours, (row) => row.generations);
  const summary =
    top && top.generations > 0
      ? `Generations started by hour of the day, in UTC. The busiest hour is ${hourLabel(top.hour)}, with ${top.generations}.`
      : "Generations started by hour of the day, in UTC: none in this period.";
  return (
    <ChartFigure
      title="Popular hours"
      summary={summary}
      rows={hours}
      rowKey={(row) => String(row.hour)}
      columns={[
        { label: "Hour (UTC)", value: (row) => hourLabel(row.hour) },
        { label: "Generations", value: (row) => row.generations },
      ]}
    >
      <BarChart data={hours} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="hour" tick={AXIS} interval={2} />
        <YAxis allowDecimals={false} tick={AXIS} />
        <Tooltip labelFormatter={(hour) => `${hourLabel(Number(hour))} UTC`} />
        <Bar
          dataKey="generations"
          name="Generations"
          fill={COLORS.hours}
          stroke={INK}
          maxBarSize={32}
          isAnimationActive={false}
        />
      </BarChart>
    </ChartFigure>
  );
}

export function StylesChart({ byStyle, nameOf }: { byStyle: Record<string, number>; nameOf: (id: string) => string }) {
  const rows = Object.entries(byStyle)
    // Not `style`: the chart spreads each row's fields onto its SVG shapes, where `style` means CSS.
    .map(([styleId, generations]) => ({ styleId, name: nameOf(styleId), generations }))
    .sort((a, b) => b.generations - a.generations);
  const total = sum(rows.map((row) => row.generations));
  const summary =
    total === 0 || rows[0] === undefined
      ? "No generations in this period."
      : `${rows[0].name} is the most chosen style, with ${rows[0].generations} of ${total} generations.`;
  return (
    <ChartFigure
      title="Styles"
      summary={summary}
      rows={rows}
      rowKey={(row) => row.styleId}
      columns={[
        { label: "Style", value: (row) => row.name },
        { label: "Generations", value: (row) => row.generations },
      ]}
    >
      <BarChart
        data={rows}
        layout="vertical"
        accessibilityLayer={false}
        margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
      >
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" allowDecimals={false} tick={AXIS} />
        <YAxis type="category" dataKey="name" tick={AXIS} width={110} />
        <Tooltip />
        <Bar
          dataKey="generations"
          name="Generations"
          fill={COLORS.styles}
          stroke={INK}
          maxBarSize={48}
          isAnimationActive={false}
        />
      </BarChart>
    </ChartFigure>
  );
}
