import { Sparkles } from "lucide-react";
import type { Style } from "../api/types";
import styles from "./StylePicker.module.css";

interface Props {
  options: Style[] | undefined;
  value: string;
  onChange: (styleId: string) => void;
  loading?: boolean;
  failed?: boolean;
  disabled?: boolean;
}

export function StylePicker({ options, value, onChange, loading, failed, disabled }: Props) {
  return (
    <fieldset className={styles.fieldset} disabled={disabled}>
      <legend className={styles.legend}>Choose your style</legend>
      {loading && <p className={styles.note}>Loading styles…</p>}
      {failed && !options?.length && (
        <p className={styles.note} role="status">
          Styles couldn't be loaded; your hero will get the classic superhero look.
        </p>
      )}
      <div className={styles.options}>
        {options?.map((option) => (
          <label key={option.id} className={`${styles.option} ${value === option.id ? styles.selected : ""}`}>
            <input
              type="radio"
              name="style"
              value={option.id}
              checked={value === option.id}
              onChange={() => onChange(option.id)}
            />
            <span className={styles.name}>
              <Sparkles aria-hidden size={16} />
              {option.name}
            </span>
            <span className={styles.description}>{option.description}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
