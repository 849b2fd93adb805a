import { Link } from "react-router";
import { useDocumentTitle } from "../lib/useDocumentTitle";

export function NotFoundPage() {
  useDocumentTitle("Page not found");
  return (
    <div className="panel center-panel">
      <p className="kicker">404</p>
      <h1 className="page-title">Lost in the multiverse</h1>
      <p>This page doesn't exist. Let's get you back to base.</p>
      <Link to="/" className="btn btn-primary">
        Back to base
      </Link>
    </div>
  );
}
