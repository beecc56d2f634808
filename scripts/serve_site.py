"""Serve a built site on 127.0.0.1 the way GitHub Pages serves a project site.

Under the path of site_url, gzip-compressed when the client accepts it, 404.html for unknown paths, and a
redirect to the slash form for folders. The browser tests and the page-speed benchmark both use it, so
what they measure is what readers get.
"""
from __future__ import annotations

import gzip
import http.server
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

# GitHub Pages compresses these; images and fonts that are already compressed go as they are.
COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json|xml|manifest\+json)|image/svg\+xml)")


def site_prefix(root: Path) -> str:
    html = (root / "index.html").read_text(encoding="utf-8")
    tag = re.search(r'<link\b[^>]*\brel="canonical"[^>]*>', html)
    href = re.search(r'\bhref="([^"]+)"', tag.group(0)) if tag else None
    path = urlsplit(href.group(1)).path if href else "/"
    return path if path.endswith("/") else path + "/"


class GzipSiteHandler(http.server.SimpleHTTPRequestHandler):
    root: Path
    prefix: str
    protocol_version = "HTTP/1.1"  # keep-alive, as a real host does; Lighthouse counts connection setup

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(self.root), **kwargs)

    def log_message(self, format, *args):
        pass

    def _file(self) -> Path | None:
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(self.prefix):
            return None
        local = Path(self.translate_path("/" + path[len(self.prefix):]))
        if local.is_dir():
            if not path.endswith("/"):
                return local  # the caller redirects to the slash form, as GitHub Pages does
            local = local / "index.html"
        return local if local.is_file() else None

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool):
        local = self._file()
        if local is not None and local.is_dir():
            self.send_response(301)
            self.send_header("Location", urlsplit(self.path).path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 200
        if local is None:
            status, local = 404, self.root / "404.html"
        body = local.read_bytes() if local.is_file() else b"Not found"
        ctype = self.guess_type(str(local))
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        compress = "gzip" in self.headers.get("Accept-Encoding", "") and COMPRESSIBLE.match(ctype)
        if compress:
            body = gzip.compress(body, compresslevel=6)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
        self.send_header("Vary", "Accept-Encoding")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        if not head:
            self.wfile.write(body)


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Chromium drops idle keep-alive connections when Lighthouse closes it: not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    prefix = site_prefix(root)
    handler = type("Handler", (GzipSiteHandler,), {"root": root, "prefix": prefix})
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{prefix}"


def site_pages(root: Path) -> list[str]:
    pages = []
    for index in sorted(root.rglob("index.html")):
        rel = index.parent.relative_to(root).as_posix()
        pages.append("" if rel == "." else rel + "/")
    return pages
