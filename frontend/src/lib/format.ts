const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}

export function formatDateTime(iso: string): string {
  return dateTimeFormat.format(new Date(iso));
}

export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export function styleName(styleId: string, styles: { id: string; name: string }[] | undefined): string {
  return styles?.find((style) => style.id === styleId)?.name ?? styleId;
}

/** "+50", "−10" (a true minus sign), "0": a movement of credits. */
export function signed(amount: number): string {
  return amount > 0 ? `+${amount}` : amount < 0 ? `−${Math.abs(amount)}` : "0";
}

/** "1 portrait", "3 portraits". */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

const WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/** "three" for 3, as copy spells small numbers; digits from 13 on. */
export function numberWord(count: number): string {
  return Number.isInteger(count) && count >= 0 && count < WORDS.length
    ? (WORDS[count] ?? String(count))
    : String(count);
}

/** "three transformations", "one transformation": countOf, with small numbers spelt out. */
export function countInWords(count: number, singular: string, plural = `${singular}s`): string {
  return `${numberWord(count)} ${count === 1 ? singular : plural}`;
}

/** How many transformations `credits` pay for, at `generationCost` credits each. */
export function transformationsFor(credits: number, generationCost: number): number {
  return generationCost > 0 ? Math.floor(credits / generationCost) : 0;
}

/**
 * "$9.99" for 999 cents of usd ("$10" for 1000), in the reader's own way of writing amounts. Amounts are in the
 * currency's smallest unit, as payment providers state them (cents; yen for jpy).
 */
export function formatMoney(minorUnits: number, currency: string): string {
  const code = currency.toUpperCase();
  try {
    const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
      .maximumFractionDigits;
    const whole = digits === undefined || minorUnits % 10 ** digits === 0;
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency: code,
      ...(whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {}),
    }).format(minorUnits / 10 ** (digits ?? 2));
  } catch {
    return `${(minorUnits / 100).toFixed(2)} ${code}`; // a currency code this browser doesn't know
  }
}
