import { Link } from "react-router";
import { useDocumentTitle } from "../lib/useDocumentTitle";

/** What a signed-in person who is not an operator sees at the operators' pages. */
export function NotForYouPage() {
  useDocumentTitle("Operators only");
  return (
    <div className="panel center-panel">
      <p className="kicker">Operators only</p>
      <h1 className="page-title">Not for you, hero</h1>
      <p>This part of AIVenger is where our team looks after the service. Your account can't open it.</p>
      <Link to="/dashboard" className="btn btn-primary">
        Back to your dashboard
      </Link>
    </div>
  );
}
