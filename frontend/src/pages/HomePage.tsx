import { ArrowRight, Images, ShieldCheck, Upload, Wand2 } from "lucide-react";
import { Link, Navigate } from "react-router";
import { useClientConfig } from "../api/queries";
import { useMe } from "../auth/useAuth";
import { PageLoading } from "../components/PageLoading";
import { numberWord, transformationsFor } from "../lib/format";
import { formatNames } from "../lib/uploadRules";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./HomePage.module.css";

/** "Your first three transformations are on us.", from the API's prices; no number until they are known. */
function freeOffer(free: number | undefined): string {
  if (free === undefined) return "Your first transformations are on us.";
  if (free === 1) return "Your first transformation is on us.";
  if (free === 0) return "Start with free credits.";
  return `Your first ${numberWord(free)} transformations are on us.`;
}

export function HomePage() {
  useDocumentTitle("Become a superhero");
  const me = useMe();
  const config = useClientConfig().data;
  if (me.isPending) return <PageLoading label="Loading…" />;
  if (me.data) return <Navigate to="/dashboard" replace />;

  return (
    <div className={styles.page}>
      <section className={styles.hero} aria-labelledby="hero-heading">
        <p className={styles.bubble}>Kapow!</p>
        <div className={styles.emblem} aria-hidden>
          <svg viewBox="0 0 200 200" focusable="false">
            <polygon
              points="100,4 122,62 184,40 150,96 198,130 136,136 140,196 100,152 60,196 64,136 2,130 50,96 16,40 78,62"
              fill="#ffd000"
              stroke="#14121f"
              strokeWidth="6"
              strokeLinejoin="round"
            />
            <path
              d="M112 40 70 112h28l-14 52 48-78h-28l14-46Z"
              fill="#d90f2a"
              stroke="#14121f"
              strokeWidth="6"
              strokeLinejoin="round"
            />
          </svg>
        </div>
        <h1 id="hero-heading" className={styles.title}>
          Turn your photo into a <span className={styles.highlight}>superhero</span>
        </h1>
        <p className={styles.lead}>
          Upload a portrait and our AI suits you up with a heroic costume, dramatic lighting and a movie-poster finish.{" "}
          {freeOffer(config && transformationsFor(config.signupCredits, config.generationCost))}
        </p>
        <div className={styles.ctas}>
          <Link to="/register" className="btn btn-primary btn-large">
            {config ? `Get ${config.signupCredits} free credits` : "Get free credits"}{" "}
            <ArrowRight aria-hidden size={20} />
          </Link>
          <Link to="/login" className="btn btn-secondary btn-large">
            Log in
          </Link>
        </div>
        <p className={styles.explore}>
          <Link to="/explore">See what others have made in the public gallery</Link>
        </p>
      </section>
      <ol className={styles.steps}>
        <li>
          <span className={styles.stepIcon} aria-hidden>
            <Upload size={26} />
          </span>
          <h2>Upload</h2>
          <p>
            {config
              ? `A clear portrait: ${formatNames(config.acceptedTypes)}${
                  config.acceptedTypes.some((type) => /^image\/hei[cf]/i.test(type)) ? ", iPhone photos included" : ""
                }.`
              : "A clear, front-facing portrait."}
          </p>
        </li>
        <li>
          <span className={styles.stepIcon} aria-hidden>
            <Wand2 size={26} />
          </span>
          <h2>Transform</h2>
          <p>Pick Epic Superhero, Marvel Cinematic or DC Dark Knight and watch it happen.</p>
        </li>
        <li>
          <span className={styles.stepIcon} aria-hidden>
            <Images size={26} />
          </span>
          <h2>Keep</h2>
          <p>Compare before and after, download in full size, and keep them in your gallery.</p>
        </li>
        <li>
          <span className={styles.stepIcon} aria-hidden>
            <ShieldCheck size={26} />
          </span>
          <h2>Private</h2>
          <p>Your photos and results are yours alone; delete them whenever you like.</p>
        </li>
      </ol>
    </div>
  );
}
