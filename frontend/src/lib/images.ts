import { mediaSrc } from "../api/client";
import type { Generation } from "../api/types";

/**
 * Width descriptors for `srcSet`: what the browser uses to pick the smallest image that is sharp enough for the
 * space an <img> takes (its `sizes`) at the screen's pixel density. Generations come with a thumbnail of each
 * image (a WebP whose long side is the API's `thumbnailSize`, from GET /config) beside the full-size files: the
 * result (a JPEG, typically 1024 px wide) and the uploaded photo (a JPEG, scaled to at most 2048 px). The full sizes
 * are estimates (the API doesn't say); all they need to be is well above the thumbnail's, so that anything wider
 * than a thumbnail gets the full image.
 */
export const RESULT_WIDTH = 1024;
export const ORIGINAL_WIDTH = 2048;

/** For lists and grids: the thumbnail, or the full image where there is none (generations older than it). */
export function thumbnailSrc(thumbnail: string | null | undefined, full: string): string {
  return mediaSrc(thumbnail ?? full);
}

export interface ResponsiveSource {
  src: string;
  srcSet?: string;
}

/**
 * For large views: the full image as `src`, and with a thumbnail a `srcSet` offering both, so that a small
 * viewport (with the matching `sizes`) downloads the thumbnail and a large one the full image.
 */
export function responsiveSource(
  full: string,
  thumbnail: string | null | undefined,
  fullWidth: number,
  thumbnailWidth: number | undefined,
): ResponsiveSource {
  const src = mediaSrc(full);
  if (!thumbnail || !thumbnailWidth) return { src };
  return { src, srcSet: `${mediaSrc(thumbnail)} ${thumbnailWidth}w, ${src} ${fullWidth}w` };
}

/** The two sides of a before/after view of a completed generation. */
export function beforeAfterSources(
  generation: Pick<Generation, "originalImageUrl" | "originalThumbnailUrl" | "thumbnailUrl">,
  resultUrl: string,
  thumbnailWidth: number | undefined,
): { before: ResponsiveSource; after: ResponsiveSource } {
  return {
    before: responsiveSource(
      generation.originalImageUrl,
      generation.originalThumbnailUrl,
      ORIGINAL_WIDTH,
      thumbnailWidth,
    ),
    after: responsiveSource(resultUrl, generation.thumbnailUrl, RESULT_WIDTH, thumbnailWidth),
  };
}
