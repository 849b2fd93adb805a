import { ArrowRight, CalendarClock, Coins, Images, Zap } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { useModels } from "../api/creative";
import { useClientConfig, useStats, useStyles } from "../api/queries";
import { useMe } from "../auth/useAuth";
import { GenerationProgress } from "../components/GenerationProgress";
import { LoadFailed } from "../components/LoadFailed";
import { StatsCard } from "../components/StatsCard";
import { StylePicker } from "../components/StylePicker";
import { UploadDropzone } from "../components/UploadDropzone";
import { CreativeOptions, type CreativeChoice } from "../features/generate/CreativeOptions";
import { GenerationResult } from "../features/generate/GenerationResult";
import { RecentTransformations } from "../features/generate/RecentTransformations";
import { useGenerateAvatar } from "../features/generate/useGenerateAvatar";
import type { StartFromResult } from "../features/result/ResultActions";
import { costOf, MAX_WISHES } from "../lib/creative";
import { formatDate } from "../lib/format";
import { checkUpload } from "../lib/uploadRules";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./DashboardPage.module.css";

const DEFAULT_STYLE = "superhero";
const DEFAULT_CHOICE: CreativeChoice = { wishes: "", aspectRatio: "1:1", model: "standard", variations: 1 };

export function DashboardPage() {
  useDocumentTitle("Dashboard");
  const navigate = useNavigate();
  const me = useMe();
  const stats = useStats();
  const config = useClientConfig();
  const models = useModels();
  const stylesQuery = useStyles();
  const [chosenFile, setFile] = useState<File | null>(null);
  const [style, setStyle] = useState(DEFAULT_STYLE);
  const [choice, setChoice] = useState<CreativeChoice>(DEFAULT_CHOICE);
  const goToPricing = useCallback(() => navigate("/pricing"), [navigate]);
  const { phase, start, run, reset, busy, cancelUpload } = useGenerateAvatar({ onNeedCredits: goToPricing });
  const progressRef = useRef<HTMLDivElement>(null);
  // When a request starts, its progress is brought into view: on a phone it would otherwise be below the fold.
  const startedAt = phase.kind === "uploading" || phase.kind === "generating" ? phase.startedAt : null;
  useEffect(() => {
    if (startedAt === null) return;
    const reduceMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
    progressRef.current?.scrollIntoView?.({ block: "center", behavior: reduceMotion ? "auto" : "smooth" });
  }, [startedAt]);
  // A transformed portrait has done its job; after a failure it stays for another try.
  const file = phase.kind === "completed" ? null : chosenFile;

  // The chosen model's price (GET /models); the API's general price while the models load or can't be.
  const model = models.data?.find((option) => option.id === choice.model);
  const price = model?.credits ?? config.data?.generationCost;
  const cost = costOf(model, config.data?.generationCost, choice.variations);
  const credits = stats.data?.credits;
  const lowOnCredits = credits !== undefined && cost !== undefined && credits < cost;
  const wishesTooLong = choice.wishes.length > MAX_WISHES;
  // The dropzone checks a photo as it is chosen; one chosen before the API's limits arrived is checked here too.
  const fileUsable = file !== null && checkUpload(file, config.data).ok;
  const canGenerate = fileUsable && credits !== undefined && !lowOnCredits && !wishesTooLong && !busy;

  const generate = async () => {
    if (!file || credits === undefined || wishesTooLong) return;
    const wishes = choice.wishes.trim();
    await start({
      file,
      style,
      credits,
      cost,
      aspectRatio: choice.aspectRatio,
      variations: choice.variations,
      ...(config.data ? { maxImageSide: config.data.maxImageSide } : {}),
      ...(models.data ? { model: choice.model } : {}),
      ...(wishes ? { prompt: wishes } : {}),
    });
  };

  const startFromResult: StartFromResult = (requestCost, submit) => {
    if (stats.data === undefined) return;
    setFile(null);
    void run({ credits: stats.data.credits, cost: requestCost, upload: false }, (key) => submit(key));
  };

  const onFileChange = (next: File | null) => {
    if (phase.kind === "completed" || phase.kind === "failed") reset();
    setFile(next);
  };

  const createAnother = () => {
    setFile(null);
    reset();
  };

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Hero headquarters</p>
        <h1 className="page-title">Dashboard</h1>
        {me.data && <p className={styles.greeting}>Signed in as {me.data.email}</p>}
      </header>

      <div className={styles.stats}>
        <StatsCard
          label="Available Credits"
          testId="credits-card"
          tone="yellow"
          icon={<Coins size={22} />}
          value={credits ?? "–"}
          description={
            lowOnCredits ? (
              <Link to="/pricing" className={styles.cardLink}>
                Get credits <ArrowRight aria-hidden size={16} />
              </Link>
            ) : (
              "Use for generations"
            )
          }
        />
        <StatsCard
          label="Total Generations"
          testId="total-card"
          tone="blue"
          icon={<Images size={22} />}
          value={stats.data?.totalGenerations ?? "–"}
          description="Completed transformations"
        />
        <StatsCard
          label="Last Generation"
          testId="last-card"
          tone="red"
          icon={<CalendarClock size={22} />}
          value={
            <span className={styles.smallValue}>
              {stats.data?.lastGenerationDate
                ? formatDate(stats.data.lastGenerationDate)
                : stats.data
                  ? "None yet"
                  : "–"}
            </span>
          }
          description={stats.data?.lastGenerationDate ? "Your latest transformation" : "Your first hero awaits"}
        />
      </div>
      {stats.isError && <LoadFailed what="Your credits" onRetry={stats.refetch} />}

      <section className={`panel ${styles.forge}`} aria-labelledby="forge-heading">
        <div className={styles.forgeHeader}>
          <h2 id="forge-heading" className="section-title">
            Create your superhero
          </h2>
          <p className={styles.forgeLead}>Upload a portrait, pick a style and let the AI suit you up.</p>
        </div>
        <div className={styles.forgeGrid}>
          <div className={styles.forgeUpload}>
            <UploadDropzone file={file} onFileChange={onFileChange} disabled={busy} limits={config.data} />
          </div>
          <div className={styles.forgeControls}>
            <StylePicker
              options={stylesQuery.data}
              value={style}
              onChange={setStyle}
              loading={stylesQuery.isPending}
              failed={stylesQuery.isError}
              disabled={busy}
            />
            <CreativeOptions value={choice} onChange={setChoice} models={models.data} disabled={busy} />
          </div>
          {/* On a phone this bar stays at the bottom of the screen while the form is in view. */}
          <div className={styles.generateBar} data-generate-bar>
            <button
              type="button"
              className={`btn btn-primary btn-block btn-large ${styles.generate}`}
              disabled={!canGenerate || file === null}
              aria-describedby="generate-help"
              onClick={() => void generate()}
            >
              <Zap aria-hidden size={22} />
              Generate{cost !== undefined && ` · ${cost} credits`}
            </button>
            <p id="generate-help" className={styles.help}>
              {lowOnCredits ? (
                <>
                  You need {cost} credits for this and have {credits}: get a credit pack or a monthly plan.{" "}
                  <Link to="/pricing">Get credits</Link>
                </>
              ) : wishesTooLong ? (
                `Shorten your wishes to ${MAX_WISHES} characters to generate.`
              ) : file === null ? (
                "Choose a portrait to start."
              ) : busy ? (
                "Hang tight: your transformation is under way."
              ) : price !== undefined && choice.variations > 1 ? (
                `${choice.variations} variations × ${price} credits = ${cost} credits.`
              ) : price !== undefined ? (
                `Each transformation uses ${price} credits.`
              ) : (
                "Ready when you are."
              )}
            </p>
          </div>
          <div ref={progressRef} className={styles.forgeStatus}>
            {(phase.kind === "uploading" || phase.kind === "generating") && (
              <GenerationProgress
                stage={phase.kind}
                uploadProgress={phase.kind === "uploading" ? phase.progress : 1}
                startedAt={phase.startedAt}
                onCancel={cancelUpload}
              />
            )}
            {phase.kind === "failed" && (
              <div className="notice notice-error" role="alert" data-testid="generation-error">
                <strong>Generation failed.</strong> {phase.message}
              </div>
            )}
          </div>
        </div>
        {phase.kind === "completed" && (
          <GenerationResult
            key={phase.generation.id}
            generation={phase.generation}
            batch={phase.batch}
            remainingCredits={phase.remainingCredits}
            onCreateAnother={createAnother}
            onStart={startFromResult}
            busy={busy}
          />
        )}
      </section>

      <RecentTransformations />
    </div>
  );
}
