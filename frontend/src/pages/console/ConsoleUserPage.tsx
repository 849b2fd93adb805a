import { ArrowLeft, Coins, History, Images, ScrollText, ShieldOff, ShieldCheck } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { toast } from "sonner";
import {
  useAdjustCredits,
  useAdminUser,
  useRefundGeneration,
  useSetAccountActive,
  useTakeDownFromGallery,
} from "../../api/admin";
import { usePlans } from "../../api/billing";
import { ApiError, detailedMessageOf, messageOf } from "../../api/errors";
import { useStyles } from "../../api/queries";
import type { AdminGeneration, AdminUserDetail } from "../../api/types";
import { useMe } from "../../auth/useAuth";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CreditAmount, LedgerRow } from "../../components/LedgerRow";
import { countOf, formatDate, formatDateTime, styleName } from "../../lib/format";
import { useDocumentTitle } from "../../lib/useDocumentTitle";
import { AccountBadges, LEDGER_REASONS, actionLabel, planLabel } from "./accounts";
import styles from "./Console.module.css";

const usd = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

const STATUS_CLASS: Record<string, string | undefined> = {
  completed: styles.good,
  failed: styles.bad,
  pending: styles.plain,
};

function CreditsSection({ user }: { user: AdminUserDetail }) {
  const adjust = useAdjustCredits(user.id);
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<number | null>(null);
  const amountId = useId();
  const noteId = useId();
  const errorId = useId();
  const value = Number(amount);
  const valid = amount.trim() !== "" && Number.isInteger(value) && value !== 0;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    if (!valid) {
      setProblem("Enter a whole number of credits other than 0: positive to grant, negative to take away.");
      return;
    }
    if (!note.trim()) {
      setProblem("Say why: the reason is kept in the account's credit history.");
      return;
    }
    setProblem(null);
    adjust.mutate(
      { amount: value, note: note.trim() },
      {
        onSuccess: (credits) => {
          setDone(credits);
          setAmount("");
          setNote("");
          toast.success(value > 0 ? `${countOf(value, "credit")} granted` : `${countOf(-value, "credit")} taken`, {
            description: `${user.email} now has ${countOf(credits, "credit")}.`,
          });
        },
        onError: (error) => setProblem(`Couldn't change the balance. ${detailedMessageOf(error)}`),
      },
    );
  };

  return (
    <section className="panel panel-section" aria-labelledby="credits-heading">
      <h2 id="credits-heading" className="panel-title">
        <Coins aria-hidden size={22} /> Credits
      </h2>
      <p>
        Balance: <strong data-testid="admin-balance">{countOf(user.credits, "credit")}</strong>. Grant credits, or take
        some away with a negative amount; the reason goes into the account's credit history.
      </p>
      <form className={styles.creditsForm} onSubmit={onSubmit} noValidate>
        <div className={`${styles.field} ${styles.amountField}`}>
          <label htmlFor={amountId} className={styles.label}>
            Amount
          </label>
          <input
            id={amountId}
            className={styles.input}
            type="number"
            inputMode="numeric"
            step={1}
            min={-1_000_000}
            max={1_000_000}
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
            aria-invalid={problem !== null || undefined}
            aria-describedby={problem ? errorId : undefined}
          />
        </div>
        <div className={styles.field}>
          <label htmlFor={noteId} className={styles.label}>
            Reason
          </label>
          <input
            id={noteId}
            className={styles.input}
            value={note}
            maxLength={255}
            placeholder="e.g. Sorry for the slow weekend"
            onChange={(event) => setNote(event.target.value)}
            aria-invalid={problem !== null || undefined}
            aria-describedby={problem ? errorId : undefined}
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={adjust.isPending}>
          {adjust.isPending
            ? "Saving…"
            : valid && value > 0
              ? `Grant ${countOf(value, "credit")}`
              : valid
                ? `Take ${countOf(-value, "credit")}`
                : "Change balance"}
        </button>
      </form>
      {problem && (
        <p id={errorId} className="notice notice-error" role="alert">
          {problem}
        </p>
      )}
      {done !== null && (
        <p className={styles.done} role="status">
          Done: the balance is now {countOf(done, "credit")}.
        </p>
      )}
    </section>
  );
}

function AccessSection({ user }: { user: AdminUserDetail }) {
  const me = useMe();
  const setActive = useSetAccountActive(user.id);
  const [confirming, setConfirming] = useState(false);
  const own = me.data?.id === user.id;
  const disabling = user.isActive;

  const onConfirm = () =>
    setActive.mutate(!disabling, {
      onSuccess: () => {
        setConfirming(false);
        toast.success(disabling ? "Account disabled" : "Account enabled", {
          description: disabling ? `${user.email} can no longer log in.` : `${user.email} can log in again.`,
        });
      },
      onError: (error) => {
        setConfirming(false);
        toast.error(disabling ? "Couldn't disable the account" : "Couldn't enable the account", {
          description: messageOf(error),
        });
      },
    });

  return (
    <section className="panel panel-section" aria-labelledby="access-heading">
      <h2 id="access-heading" className="panel-title">
        {disabling ? <ShieldCheck aria-hidden size={22} /> : <ShieldOff aria-hidden size={22} />} Access
      </h2>
      {disabling ? (
        <p>
          The account can log in. Disabling it ends its sessions and stops its API keys at once, until it is enabled
          again.
        </p>
      ) : (
        <p>The account is disabled: it can't log in and its API keys don't work.</p>
      )}
      {own ? (
        <p className={styles.muted}>This is your own account: another administrator would have to disable it.</p>
      ) : (
        <div>
          <button
            type="button"
            className={`btn ${disabling ? "btn-danger" : "btn-primary"}`}
            onClick={() => setConfirming(true)}
          >
            {disabling ? "Disable account" : "Enable account"}
          </button>
        </div>
      )}
      <ConfirmDialog
        open={confirming}
        title={disabling ? "Disable this account?" : "Enable this account?"}
        confirmLabel={disabling ? "Disable account" : "Enable account"}
        busyLabel={disabling ? "Disabling…" : "Enabling…"}
        tone={disabling ? "danger" : "primary"}
        busy={setActive.isPending}
        onConfirm={onConfirm}
        onCancel={() => setConfirming(false)}
      >
        <p className={styles.breakable}>
          {disabling
            ? `${user.email} is logged out everywhere at once, and every API key of the account stops working.`
            : `${user.email} can log in again, and the account's API keys work again.`}
        </p>
      </ConfirmDialog>
    </section>
  );
}

function GenerationRow({
  generation,
  refunded,
  styleLabel,
  onRefund,
}: {
  generation: AdminGeneration;
  refunded: "refunded" | "already" | null;
  styleLabel: string;
  onRefund: (generation: AdminGeneration) => void;
}) {
  const takeDown = useTakeDownFromGallery();
  const slug = generation.shareSlug;
  function takeOutOfGallery() {
    if (!slug) return;
    takeDown.mutate(slug, {
      onSuccess: () => toast.success("Taken out of the public gallery."),
      onError: (error) => toast.error(messageOf(error)),
    });
  }
  return (
    <li className={`list-row ${styles.row}`}>
      <div className={`list-row-what ${styles.what}`}>
        <span className={styles.generationTitle}>
          <strong>{styleLabel}</strong>
          <span className={`${styles.badge} ${STATUS_CLASS[generation.status] ?? styles.plain}`}>
            {generation.status}
          </span>
          {refunded && (
            <span className={`${styles.badge} ${styles.plain}`}>
              {refunded === "already" ? "Already refunded" : "Refunded"}
            </span>
          )}
        </span>
        {generation.errorMessage && <span className={styles.errorText}>{generation.errorMessage}</span>}
        <span className="list-row-detail">
          {formatDateTime(generation.createdAt)} · {generation.model ?? "no model"} ·{" "}
          <code className={styles.code}>{generation.id}</code>
        </span>
      </div>
      <div className={styles.rowEnd}>
        <dl className={styles.rowFigures}>
          <div>
            <dt>Credits</dt>
            <dd>{generation.creditsUsed}</dd>
          </div>
          <div>
            <dt>Provider cost</dt>
            <dd>{generation.costUsd === null ? "—" : usd.format(Number(generation.costUsd))}</dd>
          </div>
        </dl>
        {slug && !takeDown.isSuccess && (
          <button
            type="button"
            className="btn btn-secondary btn-small"
            aria-label={`Take the ${styleLabel} generation of ${formatDateTime(generation.createdAt)} out of the public gallery`}
            disabled={takeDown.isPending}
            onClick={takeOutOfGallery}
          >
            Take out of gallery
          </button>
        )}
        {!refunded && generation.creditsUsed > 0 && (
          <button
            type="button"
            className="btn btn-secondary btn-small"
            aria-label={`Refund the ${styleLabel} generation of ${formatDateTime(generation.createdAt)}`}
            onClick={() => onRefund(generation)}
          >
            Refund
          </button>
        )}
      </div>
    </li>
  );
}

function GenerationsSection({ user }: { user: AdminUserDetail }) {
  const refund = useRefundGeneration();
  const stylesList = useStyles().data;
  const [refunding, setRefunding] = useState<AdminGeneration | null>(null);
  const [note, setNote] = useState("");
  // Refunds this page learnt of from a 409: the ledger shown may predate them.
  const [alreadyRefunded, setAlreadyRefunded] = useState<ReadonlySet<string>>(new Set());
  const noteId = useId();
  const refundedInLedger = new Set(
    user.ledger.filter((entry) => entry.reason === "refund" && entry.generationId).map((entry) => entry.generationId),
  );

  const close = () => {
    setRefunding(null);
    setNote("");
  };

  const onConfirm = () => {
    if (!refunding || !note.trim()) return;
    const generation = refunding;
    refund.mutate(
      { generationId: generation.id, note: note.trim() },
      {
        onSuccess: (credits) => {
          close();
          toast.success(`${countOf(generation.creditsUsed, "credit")} given back`, {
            description: `${user.email} now has ${countOf(credits, "credit")}.`,
          });
        },
        onError: (error) => {
          close();
          if (error instanceof ApiError && error.code === "ALREADY_REFUNDED") {
            setAlreadyRefunded((known) => new Set(known).add(generation.id));
            toast.error("Already refunded", { description: "This generation's credits were given back before." });
          } else {
            toast.error("Couldn't refund the generation", { description: messageOf(error) });
          }
        },
      },
    );
  };

  return (
    <section className="panel panel-section" aria-labelledby="generations-heading">
      <h2 id="generations-heading" className="panel-title">
        <Images aria-hidden size={22} /> Recent generations
      </h2>
      {user.recentGenerations.length === 0 ? (
        <p className={styles.muted}>No generations.</p>
      ) : (
        <ul className="list-rows" aria-labelledby="generations-heading">
          {user.recentGenerations.map((generation) => (
            <GenerationRow
              key={generation.id}
              generation={generation}
              styleLabel={styleName(generation.style, stylesList)}
              refunded={
                alreadyRefunded.has(generation.id) ? "already" : refundedInLedger.has(generation.id) ? "refunded" : null
              }
              onRefund={setRefunding}
            />
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={refunding !== null}
        title="Refund this generation?"
        confirmLabel={refunding ? `Refund ${countOf(refunding.creditsUsed, "credit")}` : "Refund"}
        busyLabel="Refunding…"
        tone="primary"
        busy={refund.isPending}
        confirmDisabled={!note.trim()}
        onConfirm={onConfirm}
        onCancel={close}
      >
        <div className={styles.dialogForm}>
          <p className={styles.breakable}>
            {refunding &&
              `${countOf(refunding.creditsUsed, "credit")} go back to ${user.email}. A generation is refunded once at most.`}
          </p>
          <label htmlFor={noteId} className={styles.label}>
            Reason
          </label>
          <input
            id={noteId}
            className={styles.input}
            value={note}
            maxLength={255}
            placeholder="e.g. The result was unusable"
            onChange={(event) => setNote(event.target.value)}
          />
        </div>
      </ConfirmDialog>
    </section>
  );
}

function LedgerSection({ user }: { user: AdminUserDetail }) {
  return (
    <section className="panel panel-section" aria-labelledby="ledger-heading">
      <h2 id="ledger-heading" className="panel-title">
        <History aria-hidden size={22} /> Credit history
      </h2>
      {user.ledger.length === 0 ? (
        <p className={styles.muted}>No credits in or out.</p>
      ) : (
        <ul className="list-rows" aria-labelledby="ledger-heading">
          {user.ledger.map((entry) => (
            <LedgerRow key={entry.id} entry={entry} label={LEDGER_REASONS[entry.reason]} note={entry.note} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ActionsSection({ user }: { user: AdminUserDetail }) {
  return (
    <section className="panel panel-section" aria-labelledby="actions-heading">
      <h2 id="actions-heading" className="panel-title">
        <ScrollText aria-hidden size={22} /> Administrators' actions
      </h2>
      {user.adminActions.length === 0 ? (
        <p className={styles.muted}>None yet.</p>
      ) : (
        <ul className="list-rows" aria-labelledby="actions-heading">
          {user.adminActions.map((action, index) => (
            <li key={`${action.createdAt}-${index}`} className={`list-row ${styles.row}`}>
              <div className={`list-row-what ${styles.what}`}>
                <strong>{actionLabel(action.action)}</strong>
                {action.note && <span>{action.note}</span>}
                <span className="list-row-detail">{formatDateTime(action.createdAt)}</span>
              </div>
              {action.target && action.action === "credits" && <CreditAmount amount={Number(action.target)} />}
              {action.target && action.action === "refund" && <code className={styles.code}>{action.target}</code>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One account: what it has, what it did, and what an administrator can do for it. */
export function ConsoleUserPage() {
  const { id = "" } = useParams();
  const user = useAdminUser(id);
  const plans = usePlans().data;
  useDocumentTitle(user.data ? `${user.data.email} · Console` : "Account · Console");

  const back = (
    <Link to="/console/users" className={styles.back}>
      <ArrowLeft aria-hidden size={18} /> All accounts
    </Link>
  );

  if (user.isPending) {
    return (
      <div className={styles.page}>
        {back}
        <p className={styles.muted}>Loading the account…</p>
      </div>
    );
  }
  if (user.isError) {
    const missing = user.error instanceof ApiError && (user.error.status === 404 || user.error.status === 422);
    return (
      <div className={styles.page}>
        {back}
        <p className="notice notice-error" role="alert">
          {missing ? "There is no such account: it may have been deleted." : messageOf(user.error)}
        </p>
      </div>
    );
  }

  const account = user.data;
  return (
    <div className={styles.page}>
      {back}
      <header className={`page-intro ${styles.intro}`}>
        <p className="kicker">Account</p>
        <h1 className={styles.userTitle}>{account.email}</h1>
        <AccountBadges user={account} />
      </header>
      <dl className={styles.figures}>
        <div className={styles.figure}>
          <dt>Balance</dt>
          <dd className={styles.figureValue}>{account.credits}</dd>
          <dd className={styles.figureDetail}>credits</dd>
        </div>
        <div className={styles.figure}>
          <dt>Plan</dt>
          <dd className={styles.figureValue}>{planLabel(account.plan, plans)}</dd>
        </div>
        <div className={styles.figure}>
          <dt>Generations</dt>
          <dd className={styles.figureValue}>{account.generations}</dd>
        </div>
        <div className={styles.figure}>
          <dt>Joined</dt>
          <dd className={styles.figureValue}>{formatDate(account.createdAt)}</dd>
        </div>
      </dl>
      <div className={styles.columns}>
        <CreditsSection key={`credits-${account.id}`} user={account} />
        <AccessSection key={`access-${account.id}`} user={account} />
      </div>
      <GenerationsSection key={`generations-${account.id}`} user={account} />
      <LedgerSection user={account} />
      <ActionsSection user={account} />
    </div>
  );
}
