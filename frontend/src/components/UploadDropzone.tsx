import { ImagePlus, RefreshCw, Upload, X } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState, type DragEvent } from "react";
import { acceptAttribute, checkUpload, formatBytes, uploadHint, type UploadLimits } from "../lib/uploadRules";
import forms from "../styles/forms.module.css";
import styles from "./UploadDropzone.module.css";

interface Props {
  file: File | null;
  onFileChange: (file: File | null) => void;
  disabled?: boolean;
  /**
   * The API's limits (from `GET /config`). Without them (still loading, or unavailable) any file is taken and
   * the API's own checks decide.
   */
  limits?: UploadLimits | undefined;
}

function firstImageFrom(items: DataTransferItemList | null | undefined): File | null {
  for (const item of Array.from(items ?? [])) {
    if (item.kind === "file") {
      const file = item.getAsFile();
      if (file) return file;
    }
  }
  return null;
}

/** Browsers other than Safari can't draw HEIC; the photo is still fine to send, so say so instead. */
function Preview({ file, url }: { file: File; url: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) {
    return (
      <div className={styles.noPreview} role="img" aria-label={`Selected photo ${file.name}`}>
        <ImagePlus aria-hidden size={40} />
        <span>Photo ready. Your browser can't preview this format, but it can still be transformed.</span>
      </div>
    );
  }
  return <img src={url} alt="Preview of the selected portrait" onError={() => setFailed(true)} />;
}

/** Pick a portrait by click, keyboard, drag and drop or paste, checked against the API's limits at once. */
export function UploadDropzone({ file, onFileChange, disabled = false, limits }: Props) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const hintId = useId();
  const errorId = useId();

  const previewUrl = useMemo(() => (file ? URL.createObjectURL(file) : null), [file]);
  useEffect(() => {
    if (!previewUrl) return;
    return () => URL.revokeObjectURL(previewUrl);
  }, [previewUrl]);

  const accept = (candidate: File | null) => {
    if (!candidate || disabled) return;
    const check = checkUpload(candidate, limits);
    if (!check.ok) {
      setError(check.message);
      return;
    }
    setError(null);
    onFileChange(candidate);
  };

  // A photo chosen before the limits arrived is checked as soon as they do (its owner checks it too, see
  // DashboardPage): it stays on show, with what is wrong with it.
  const current = file ? checkUpload(file, limits) : null;
  const shownError = error ?? (current && !current.ok ? current.message : null);

  // Paste works anywhere on the page, not only when the drop area has focus.
  useEffect(() => {
    if (disabled) return;
    const onPaste = (event: ClipboardEvent) => {
      const pasted = firstImageFrom(event.clipboardData?.items);
      if (pasted) {
        event.preventDefault();
        accept(pasted);
      }
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  });

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    accept(event.dataTransfer.files[0] ?? null);
  };

  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    if (!disabled) setDragging(true);
  };

  const openPicker = () => inputRef.current?.click();
  const clear = () => {
    setError(null);
    onFileChange(null);
  };

  const describedBy = [hintId, shownError ? errorId : null].filter(Boolean).join(" ");

  return (
    <div className={styles.wrapper}>
      <div
        className={`${styles.zone} ${dragging ? styles.dragging : ""} ${file ? styles.hasFile : ""}`}
        data-testid="upload-dropzone"
        onDragOver={onDragOver}
        onDragEnter={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <input
          ref={inputRef}
          id="portrait-input"
          className={styles.input}
          type="file"
          tabIndex={-1}
          accept={limits ? acceptAttribute(limits) : undefined}
          aria-label="Portrait photo"
          aria-describedby={describedBy}
          aria-invalid={shownError ? true : undefined}
          disabled={disabled}
          onChange={(event) => {
            accept(event.target.files?.[0] ?? null);
            // The chosen file lives in state; an emptied input lets the same file be picked again later.
            event.target.value = "";
          }}
        />
        {file && previewUrl ? (
          <figure className={styles.preview}>
            <Preview key={previewUrl} file={file} url={previewUrl} />
            <figcaption>
              <span className={styles.fileName}>{file.name || "Pasted image"}</span>
              <span className={styles.fileSize}>{formatBytes(file.size)}</span>
            </figcaption>
          </figure>
        ) : (
          <div className={styles.empty}>
            <span className={styles.burst} aria-hidden>
              <Upload size={34} strokeWidth={2.5} />
            </span>
            <p className={styles.title}>Drop your portrait here</p>
            <p className={styles.sub}>or paste it, or</p>
          </div>
        )}
        <div className={styles.actions}>
          <button type="button" className="btn btn-secondary" onClick={openPicker} disabled={disabled}>
            {file ? <RefreshCw aria-hidden size={18} /> : <ImagePlus aria-hidden size={18} />}
            {file ? "Choose another photo" : "Choose a photo"}
          </button>
          {file && (
            <button type="button" className="btn btn-ghost" onClick={clear} disabled={disabled}>
              <X aria-hidden size={18} />
              Remove
            </button>
          )}
        </div>
        <p id={hintId} className={forms.hint}>
          {limits && `${uploadHint(limits)}. `}A clear, front-facing photo works best.
        </p>
      </div>
      {shownError && (
        <p id={errorId} className={forms.error} role="alert">
          {shownError}
        </p>
      )}
    </div>
  );
}
