import type { AspectRatio, ImageModel } from "../api/types";

/** The API's limit on a person's wishes and on a refinement's instruction. */
export const MAX_WISHES = 300;
export const MAX_VARIATIONS = 4;

export const SHAPES: { ratio: AspectRatio; name: string }[] = [
  { ratio: "1:1", name: "Profile picture" },
  { ratio: "4:5", name: "Portrait" },
  { ratio: "3:4", name: "Tall portrait" },
  { ratio: "9:16", name: "Story / wallpaper" },
  { ratio: "16:9", name: "Banner" },
];

export function shapeName(ratio: string | undefined): string {
  return SHAPES.find((shape) => shape.ratio === ratio)?.name ?? ratio ?? "";
}

/** The CSS aspect-ratio of a shape such as "9:16" ("9 / 16"), square when unknown. */
export function cssRatio(ratio: string | undefined, width?: number | null, height?: number | null): string {
  if (width && height) return `${width} / ${height}`;
  const match = /^(\d+):(\d+)$/.exec(ratio ?? "");
  return match ? `${match[1]} / ${match[2]}` : "1";
}

/** Wishes are one line for the API (it refuses control characters): line breaks and tabs become spaces. */
export function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, " ");
}

/** What a request costs in all: the model's price for each variation. */
export function costOf(model: ImageModel | undefined, fallbackPrice: number | undefined, variations: number) {
  const price = model?.credits ?? fallbackPrice;
  return price === undefined ? undefined : price * variations;
}
