import { SlidersHorizontal } from "lucide-react";
import { useId } from "react";
import type { AspectRatio, ImageModel } from "../../api/types";
import { cssRatio, MAX_VARIATIONS, MAX_WISHES, oneLine, SHAPES } from "../../lib/creative";
import { countOf } from "../../lib/format";
import styles from "./CreativeOptions.module.css";

export interface CreativeChoice {
  wishes: string;
  aspectRatio: AspectRatio;
  model: string;
  variations: number;
}

interface Props {
  value: CreativeChoice;
  onChange: (next: CreativeChoice) => void;
  models: ImageModel[] | undefined;
  disabled?: boolean;
}

/** Wishes and shape in plain sight; the model and the number of variations one click away. */
export function CreativeOptions({ value, onChange, models, disabled }: Props) {
  const wishesId = useId();
  const countId = useId();
  const modelId = useId();
  const tooLong = value.wishes.length > MAX_WISHES;
  const set = (patch: Partial<CreativeChoice>) => onChange({ ...value, ...patch });
  const chosenModel = models?.find((model) => model.id === value.model);

  return (
    <div className={styles.options}>
      <div className={styles.field}>
        <label htmlFor={wishesId} className={styles.label}>
          Your wishes <span className={styles.optional}>(optional)</span>
        </label>
        <textarea
          id={wishesId}
          className={styles.wishes}
          rows={2}
          value={value.wishes}
          placeholder="A red cape, lightning powers, a city skyline at night…"
          aria-describedby={countId}
          aria-invalid={tooLong || undefined}
          disabled={disabled}
          onChange={(event) => set({ wishes: oneLine(event.target.value) })}
        />
        <p id={countId} className={`${styles.count} ${tooLong ? styles.over : ""}`} aria-live="polite">
          {tooLong
            ? `${value.wishes.length}/${MAX_WISHES} characters: shorten your wishes by ${value.wishes.length - MAX_WISHES}.`
            : `${value.wishes.length}/${MAX_WISHES} characters`}
        </p>
      </div>

      <fieldset className={styles.field} disabled={disabled}>
        <legend className={styles.label}>Shape</legend>
        <div className={styles.shapes}>
          {SHAPES.map((shape) => (
            <label
              key={shape.ratio}
              className={`${styles.shape} ${value.aspectRatio === shape.ratio ? styles.selected : ""}`}
            >
              <input
                type="radio"
                name="shape"
                value={shape.ratio}
                checked={value.aspectRatio === shape.ratio}
                onChange={() => set({ aspectRatio: shape.ratio })}
              />
              <span className={styles.frame} style={{ aspectRatio: cssRatio(shape.ratio) }} aria-hidden />
              <span className={styles.shapeName}>{shape.name}</span>
              <span className={styles.ratio}>{shape.ratio}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <details className={styles.more}>
        <summary>
          <SlidersHorizontal aria-hidden size={16} />
          More options:{" "}
          <span className={styles.summaryValue}>
            {chosenModel?.name ?? "Standard model"}, {countOf(value.variations, "variation")}
          </span>
        </summary>
        <div className={styles.moreBody}>
          <div className={styles.field}>
            <label htmlFor={modelId} className={styles.label}>
              Model
            </label>
            <select
              id={modelId}
              className={styles.select}
              value={value.model}
              disabled={disabled || !models?.length}
              onChange={(event) => set({ model: event.target.value })}
            >
              {models?.length ? (
                models.map((model) => (
                  <option key={model.id} value={model.id}>
                    {model.name} · {countOf(model.credits, "credit")}
                  </option>
                ))
              ) : (
                <option value={value.model}>Standard</option>
              )}
            </select>
            {chosenModel?.description && <p className={styles.hint}>{chosenModel.description}</p>}
          </div>
          <fieldset className={styles.field} disabled={disabled}>
            <legend className={styles.label}>Variations</legend>
            <div className={styles.counts}>
              {Array.from({ length: MAX_VARIATIONS }, (_, index) => index + 1).map((count) => (
                <label
                  key={count}
                  className={`${styles.countOption} ${value.variations === count ? styles.selected : ""}`}
                >
                  <input
                    type="radio"
                    name="variations"
                    value={count}
                    checked={value.variations === count}
                    onChange={() => set({ variations: count })}
                  />
                  <span>{count}</span>
                </label>
              ))}
            </div>
            <p className={styles.hint}>Several takes at once, charged together; pick your favourite afterwards.</p>
          </fieldset>
        </div>
      </details>
    </div>
  );
}
