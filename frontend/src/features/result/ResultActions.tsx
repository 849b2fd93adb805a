import { Download, Maximize2, Palette, Share2, Wand2 } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { mediaSrc } from "../../api/client";
import { generateAgain, refineGeneration, useModels } from "../../api/creative";
import { useClientConfig, useStyles } from "../../api/queries";
import type { AspectRatio, Generation, GenerationAccepted } from "../../api/types";
import { Modal } from "../../components/Modal";
import { MAX_WISHES, oneLine, SHAPES, shapeName } from "../../lib/creative";
import { styleName } from "../../lib/format";
import { ShareDialog } from "./ShareDialog";
import styles from "./ResultActions.module.css";

/** Starts generations from a result: `cost` (when known) is checked against the balance first. */
export type StartFromResult = (
  cost: number | undefined,
  submit: (idempotencyKey: string) => Promise<GenerationAccepted>,
) => void;

interface Props {
  generation: Generation;
  onStart: StartFromResult;
  busy?: boolean;
}

type Open = "none" | "refine" | "again";

const isShape = (ratio: string | undefined): ratio is AspectRatio => SHAPES.some((shape) => shape.ratio === ratio);

/** What can be done with a completed result: see it large, download, refine, restyle, share. */
export function ResultActions({ generation, onStart, busy = false }: Props) {
  const [open, setOpen] = useState<Open>("none");
  const [viewing, setViewing] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [instruction, setInstruction] = useState("");
  const stylesQuery = useStyles();
  const otherStyles = stylesQuery.data?.filter((style) => style.id !== generation.style) ?? [];
  const [style, setStyle] = useState<string | null>(null);
  const chosenStyle = style ?? otherStyles[0]?.id ?? "";
  const models = useModels();
  const fallbackPrice = useClientConfig().data?.generationCost;
  const price = models.data?.find((model) => model.id === generation.model)?.credits ?? fallbackPrice;
  const priceLabel = price === undefined ? "" : ` · ${price} credits`;
  const refineId = useId();
  const styleId = useId();
  const imageUrl = generation.generatedImageUrl;
  if (!imageUrl) return null;

  const toggle = (panel: Open) => setOpen((current) => (current === panel ? "none" : panel));

  const refine = (event: FormEvent) => {
    event.preventDefault();
    const text = instruction.trim();
    if (!text || text.length > MAX_WISHES) return;
    onStart(price, (key) => refineGeneration(generation.id, text, key));
  };

  const again = (event: FormEvent) => {
    event.preventDefault();
    if (!chosenStyle) return;
    onStart(price, (key) =>
      generateAgain(
        generation.id,
        {
          style: chosenStyle,
          model: generation.model,
          ...(isShape(generation.aspectRatio) ? { aspectRatio: generation.aspectRatio } : {}),
        },
        key,
      ),
    );
  };

  return (
    <div className={styles.actions}>
      <div className={styles.row}>
        <button type="button" className="btn btn-secondary" onClick={() => setViewing(true)}>
          <Maximize2 aria-hidden size={18} />
          View large
        </button>
        <a className="btn btn-primary" href={mediaSrc(imageUrl)} download={`aivenger-${generation.id}.jpg`}>
          <Download aria-hidden size={18} />
          Download
        </a>
        <button type="button" className="btn btn-secondary" onClick={() => setSharing(true)}>
          <Share2 aria-hidden size={18} />
          {generation.shareUrl ? "Shared" : "Share"}
        </button>
      </div>
      <div className={styles.row}>
        <button
          type="button"
          className="btn btn-ghost"
          aria-expanded={open === "refine"}
          onClick={() => toggle("refine")}
        >
          <Wand2 aria-hidden size={18} />
          Refine
        </button>
        <button
          type="button"
          className="btn btn-ghost"
          aria-expanded={open === "again"}
          onClick={() => toggle("again")}
        >
          <Palette aria-hidden size={18} />
          Another style
        </button>
      </div>

      {open === "refine" && (
        <form className={styles.panel} onSubmit={refine} aria-label="Refine this result">
          <label htmlFor={refineId} className={styles.fieldLabel}>
            What should change?
          </label>
          <input
            id={refineId}
            className={styles.input}
            value={instruction}
            maxLength={MAX_WISHES}
            placeholder="Make the cape red"
            onChange={(event) => setInstruction(oneLine(event.target.value))}
          />
          <button type="submit" className="btn btn-primary btn-small" disabled={busy || !instruction.trim()}>
            Refine{priceLabel}
          </button>
        </form>
      )}

      {open === "again" && (
        <form className={styles.panel} onSubmit={again} aria-label="Same photo, another style">
          <label htmlFor={styleId} className={styles.fieldLabel}>
            Same photo, another style
          </label>
          <select
            id={styleId}
            className={styles.input}
            value={chosenStyle}
            onChange={(event) => setStyle(event.target.value)}
          >
            {otherStyles.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-primary btn-small" disabled={busy || !chosenStyle}>
            Create{priceLabel}
          </button>
        </form>
      )}

      {viewing && (
        <Modal
          title={`${styleName(generation.style, stylesQuery.data)} portrait, full size`}
          onClose={() => setViewing(false)}
          size="wide"
          hideTitle
        >
          <img
            className={styles.large}
            src={mediaSrc(imageUrl)}
            width={generation.width ?? undefined}
            height={generation.height ?? undefined}
            alt={`Superhero portrait, full size (${shapeName(generation.aspectRatio)})`}
          />
        </Modal>
      )}
      {sharing && <ShareDialog generation={generation} onClose={() => setSharing(false)} />}
    </div>
  );
}
