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
