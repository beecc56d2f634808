"""Start the API on the port each platform expects: the image's ENTRYPOINT (Dockerfile.uv).

    python -m app.serve          $PORT if set (Cloud Run sets it; elsewhere set it yourself), else 8000
    python -m app.serve serve    8080: how Amazon SageMaker starts an inference container
    python -m app.serve --check  exit 0 if /health answers (the HEALTHCHECK; slim images have no curl)

WEB_CONCURRENCY sets the number of uvicorn worker processes (default 1, see the operate page).
"""

from __future__ import annotations

import os
import sys
import urllib.request

SAGEMAKER_PORT = 8080
DEFAULT_PORT = 8000


def port_for(args: list[str], environ: dict[str, str]) -> int:
    if args[:1] == ["serve"]:
        return SAGEMAKER_PORT
    return int(environ.get("PORT") or DEFAULT_PORT)


def check(environ: dict[str, str]) -> int:
    # The health check cannot see how the server was started, so it tries each port the server could be on.
    ports = [int(environ["PORT"])] if environ.get("PORT") else [DEFAULT_PORT, SAGEMAKER_PORT]
    for port in ports:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3)
        except OSError:
            continue
        return 0
    return 1


def main(args: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = sys.argv[1:] if args is None else args
    environ = dict(os.environ) if environ is None else environ
    if args[:1] == ["--check"]:
        return check(environ)
    if args and args != ["serve"]:
        print(f"usage: python -m app.serve [serve | --check], not {' '.join(args)!r}", file=sys.stderr)
        return 2
    import uvicorn

    # 0.0.0.0: listen on the container's network interface, not only on its own loopback.
    uvicorn.run(
        "app.main:app",
        host="0.0.0.0",  # noqa: S104 - inside a container, the published port decides who can reach it
        port=port_for(args, environ),
        workers=int(environ.get("WEB_CONCURRENCY") or 1),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
