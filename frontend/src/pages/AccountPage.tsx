import type { UseMutationResult } from "@tanstack/react-query";
import { BadgeCheck, CreditCard, KeyRound, Mail, Trash2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { toast } from "sonner";
import { messageOf } from "../api/errors";
import { useClientConfig, useStats } from "../api/queries";
import { useDeleteAccount, useForgotPassword, useMe, useRequestVerification } from "../auth/useAuth";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ApiKeysSection } from "../features/account/ApiKeysSection";
import { ChangePasswordForm } from "../features/account/ChangePasswordForm";
import { countOf } from "../lib/format";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import styles from "./AccountPage.module.css";

/** Asks the API to email a link to the signed-in address; the caller shows what happens once it is sent. */
function EmailMeButton({
  send,
  email,
  label,
}: {
  send: UseMutationResult<void, Error, string>;
  email: string;
  label: string;
}) {
  return (
    <div>
      <button
        type="button"
        className="btn btn-secondary"
        disabled={send.isPending || !email}
        onClick={() =>
          send.mutate(email, {
            onError: (error) => toast.error("Couldn't send the email", { description: messageOf(error) }),
          })
        }
      >
        {send.isPending ? "Sending…" : label}
      </button>
    </div>
  );
}

export function AccountPage() {
  useDocumentTitle("Your account");
  const me = useMe();
  const stats = useStats();
  const resetLink = useForgotPassword();
  const verifyLink = useRequestVerification();
  const deleteAccount = useDeleteAccount();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const email = me.data?.email ?? "";
  // Links by email only where this server sends email (GET /config); elsewhere the buttons could only fail.
  const sendsEmail = useClientConfig().data?.sendsEmail === true;

  const onDelete = () =>
    deleteAccount.mutate(undefined, {
      onSuccess: () => {
        setConfirming(false);
        navigate("/", { replace: true });
        toast.success("Your account has been deleted", { description: "Your portraits and photos are gone too." });
      },
      onError: (error) => {
        setConfirming(false);
        toast.error("Couldn't delete your account", { description: messageOf(error) });
      },
    });

  return (
    <div className={styles.page}>
      <header className="page-intro">
        <p className="kicker">Secret identity</p>
        <h1 className="page-title">Your account</h1>
        <p className={styles.lead}>
          Signed in as <strong>{email}</strong>
          {stats.data && <> with {countOf(stats.data.credits, "credit")}</>}.
        </p>
      </header>

      <section className="panel panel-section" aria-labelledby="email-heading">
        <h2 id="email-heading" className="panel-title">
          <Mail aria-hidden size={22} /> Email
        </h2>
        {me.data?.is_verified ? (
          <p className={styles.done}>
            <BadgeCheck aria-hidden size={18} /> {email} is confirmed.
          </p>
        ) : !sendsEmail ? (
          <p>{email} is not confirmed: this server sends no email, so addresses aren't confirmed here.</p>
        ) : verifyLink.isSuccess ? (
          <p role="status" className={styles.done}>
            Sent: open the link in the email to {email} to confirm it.
          </p>
        ) : (
          <>
            <p>{email} is not confirmed yet. We can email you a link that confirms it is yours.</p>
            <EmailMeButton send={verifyLink} email={email} label="Email me a confirmation link" />
          </>
        )}
      </section>

      <section className="panel panel-section" aria-labelledby="billing-heading">
        <h2 id="billing-heading" className="panel-title">
          <CreditCard aria-hidden size={22} /> Plan and credits
        </h2>
        <p>Your plan, what you bought, and every credit in and out of your account.</p>
        <div>
          <Link to="/account/billing" className="btn btn-secondary">
            Billing and credit history
          </Link>
        </div>
      </section>

      <section className="panel panel-section" aria-labelledby="password-heading">
        <h2 id="password-heading" className="panel-title">
          <KeyRound aria-hidden size={22} /> Password
        </h2>
        <p>Change it here with your current one. Devices signed in with the old password are signed out.</p>
        <ChangePasswordForm email={email} />
        {sendsEmail ? (
          <>
            <p>Forgotten your current password? We can email you a link to choose a new one.</p>
            {resetLink.isSuccess ? (
              <p role="status" className={styles.done}>
                Sent: check the inbox of {email} for the link.
              </p>
            ) : (
              <EmailMeButton send={resetLink} email={email} label="Email me a password link" />
            )}
          </>
        ) : (
          <p className={styles.lead}>
            Forgotten your current password? This server sends no email, so it can't send a reset link: ask the people
            who run it.
          </p>
        )}
      </section>

      <ApiKeysSection className="panel-section" headingClassName="panel-title" />

      <section className={`panel panel-section ${styles.danger}`} aria-labelledby="delete-heading">
        <h2 id="delete-heading" className="panel-title">
          <Trash2 aria-hidden size={22} /> Delete your account
        </h2>
        <p>
          This removes your account, every portrait in your gallery with the photos you uploaded, and your remaining
          credits. It cannot be undone.
        </p>
        <div>
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => {
              void stats.refetch(); // what the dialog says will be deleted must be current
              setConfirming(true);
            }}
          >
            Delete my account
          </button>
        </div>
      </section>

      <ConfirmDialog
        open={confirming}
        title="Delete your account for good?"
        confirmLabel="Delete my account"
        busy={deleteAccount.isPending}
        onConfirm={onDelete}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {stats.data
            ? `${countOf(stats.data.totalGenerations, "portrait")}, your uploaded photos and ${countOf(stats.data.credits, "credit")} will be deleted at once.`
            : "Your portraits, your uploaded photos and your credits will be deleted at once."}
        </p>
      </ConfirmDialog>
    </div>
  );
}
