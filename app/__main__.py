"""`python -m app serve [--host H] [--port P] [--workers N]`: the API as production should run it.

Each worker is a separate process with its own connections; they share nothing but the database, the storage and
(with TASK_BROKER_URL) Redis, so any number of them can serve side by side.
"""

from __future__ import annotations

import argparse

import uvicorn

from app.config import get_settings
from app.serving import REQUEST_DEADLINE_SECONDS, http_protocol


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API (and the SPA) over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="API processes (each a full server)")
    # Only for tests, which cannot wait out the real deadline; production keeps the contract's.
    serve.add_argument("--request-deadline", type=float, default=REQUEST_DEADLINE_SECONDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Holds every request to the HTTP contract's limits on header size and on time to arrive (app.serving).
        http=http_protocol(args.request_deadline),
        # The client address is the socket's, or X-Forwarded-For's only when the peer is a trusted proxy.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        log_config=None,  # app.logs configures logging, redacting signed media URLs
    )


if __name__ == "__main__":
    main()
