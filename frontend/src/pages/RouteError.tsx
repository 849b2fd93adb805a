import { useRouteError } from "react-router";
import { messageOf } from "../api/errors";

export function RouteError() {
  const error = useRouteError();
  return (
    <div className="panel center-panel" role="alert">
      <p className="kicker">Oh no!</p>
      <h1 className="page-title">Something went wrong</h1>
      <p>{messageOf(error)}</p>
      <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
        Reload the page
      </button>
    </div>
  );
}
