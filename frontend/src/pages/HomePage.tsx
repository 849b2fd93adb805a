import { ArrowRight, Images, ShieldCheck, Sparkles, Upload, Wand2 } from "lucide-react";
import { Link, Navigate } from "react-router";
import { useClientConfig, useStyles } from "../api/queries";
import { isCheckingSession, useMe } from "../auth/useAuth";
import { PageLoading } from "../components/PageLoading";
import { BEFORE_AFTER, STYLE_SAMPLES, type ExampleImage } from "../lib/examples";
import { numberWord, styleName, transformationsFor } from "../lib/format";
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

/** An example picture at its own size, so its space is kept while it loads; lazy unless it is near the top. */
function Example({ image, eager = false }: { image: ExampleImage; eager?: boolean }) {
  return (
    <img
      src={image.src}
      width={image.width}
      height={image.height}
      alt={image.alt}
      decoding="async"
      {...(eager ? {} : { loading: "lazy" as const })}
    />
  );
}

export function HomePage() {
  useDocumentTitle("Become a superhero");
  const me = useMe();
  const config = useClientConfig().data;
  const stylesQuery = useStyles();
  if (isCheckingSession(me)) return <PageLoading label="Loading…" />;
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
      <section className={styles.examples} aria-labelledby="examples-heading">
        <h2 id="examples-heading" className="section-title">
          Before &amp; after
        </h2>
        <ul className={styles.pairs}>
          {BEFORE_AFTER.map((example, index) => (
            <li key={example.id}>
              <figure className={styles.pair}>
                <div className={styles.pairImages}>
                  <Example image={example.before} eager={index === 0} />
                  <ArrowRight aria-hidden size={28} className={styles.pairArrow} />
                  <Example image={example.after} eager={index === 0} />
                </div>
                <figcaption>{styleName(example.style, stylesQuery.data)}</figcaption>
              </figure>
            </li>
          ))}
        </ul>
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
      {/* The styles are the API's: a style added there shows up here, with a sample once one is made for it. */}
      {stylesQuery.data && stylesQuery.data.length > 0 && (
        <section className={styles.styleSection} aria-labelledby="styles-heading">
          <h2 id="styles-heading" className="section-title">
            Pick your style
          </h2>
          <ul className={styles.styleCards}>
            {stylesQuery.data.map((style) => {
              const sample = STYLE_SAMPLES[style.id];
              return (
                <li key={style.id} className={styles.styleCard} data-testid="style-card">
                  {sample ? (
                    <Example image={sample} />
                  ) : (
                    <span className={styles.noSample} aria-hidden>
                      <Sparkles size={48} />
                    </span>
                  )}
                  <h3>{style.name}</h3>
                  <p>{style.description}</p>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}
