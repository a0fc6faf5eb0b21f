"""The rehearsal lab's apt proxy: the hosts' only way out, and only to the image's Debian mirrors.

The hosts have no route off their bridge. apt inside them is told to use this proxy (``.1:3142``), which
forwards plain-HTTP GET requests to the mirrors named in the base image's apt sources and to nothing else.
Package files (``*.deb``, immutable by name) are kept in a cache beside the base image, so the second lab
or the second converge installs its packages without downloading them again.

Run as ``python -m actions.rehearsal.proxy --listen ADDR --port PORT --allow HOST[,HOST] --cache DIR``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

PORT = 3142
# Response headers not passed on: hop-by-hop, or recomputed here.
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
       "content-length"}
CHUNK = 1 << 16


def cache_name(url: str) -> str | None:
    """The cache file name of a package URL, or None for anything that may change (indexes, Release)."""
    path = urlsplit(url).path
    if not path.endswith(".deb") or ".." in path:
        return None
    return path.rsplit("/", 1)[-1]


class Handler(BaseHTTPRequestHandler):
    """GET http://allowed-host/path: forwarded, or served from the package cache."""

    protocol_version = "HTTP/1.1"
    allow: frozenset[str] = frozenset()
    cache: Path | None = None

    def log_message(self, format: str, *args: object) -> None:
        """Log each request to stderr (the proxy's log file)."""
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        """Forward a GET to an allowed host; any other is refused with 403."""
        url = urlsplit(self.path)
        if url.scheme != "http" or (url.hostname or "") not in self.allow:
            self.send_error(403, f"the rehearsal lab's proxy forwards only to {', '.join(sorted(self.allow))}")
            return
        name = cache_name(self.path)
        if name and self.cache and (self.cache / name).is_file():
            self._send_file(self.cache / name)
            return
        try:
            self._forward(url.hostname or "", url.port or 80, url.path + (f"?{url.query}" if url.query else ""),
                          name)
        except OSError as exc:
            self.send_error(502, f"upstream: {exc}")

    def _send_file(self, path: Path) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.debian.binary-package")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with path.open("rb") as f:
            shutil.copyfileobj(f, self.wfile, CHUNK)

    def _forward(self, host: str, port: int, target: str, name: str | None) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        body_known: str | None = resp.getheader("Content-Length")
        # Without a length from upstream, read it all so the client gets one (indexes are small).
        data = None if body_known is not None else resp.read()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)) if data is not None else str(body_known))
        self.end_headers()
        if data is not None:
            self.wfile.write(data)
            conn.close()
            return
        keep = name is not None and self.cache is not None and resp.status == 200
        try:
            if keep and self.cache and name:
                self._stream_and_keep(resp, self.cache, name)
            else:
                while chunk := resp.read(CHUNK):
                    self.wfile.write(chunk)
        finally:
            conn.close()

    def _stream_and_keep(self, resp: http.client.HTTPResponse, cache: Path, name: str) -> None:
        """Send the package on and keep a copy; only a complete file takes the cache name."""
        with tempfile.NamedTemporaryFile(dir=cache, delete=False) as tmp:
            try:
                while chunk := resp.read(CHUNK):
                    self.wfile.write(chunk)
                    tmp.write(chunk)
            except BaseException:
                tmp.close()
                os.unlink(tmp.name)
                raise
        os.replace(tmp.name, cache / name)

def main(argv: list[str] | None = None) -> int:
    """Serve until killed."""
    p = argparse.ArgumentParser(prog="python -m actions.rehearsal.proxy")
    p.add_argument("--listen", required=True)
    p.add_argument("--port", type=int, default=PORT)
    p.add_argument("--allow", required=True, help="comma-separated mirror host names")
    p.add_argument("--cache", type=Path)
    args = p.parse_args(argv)
    Handler.allow = frozenset(h for h in args.allow.split(",") if h)
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
        Handler.cache = args.cache
    server = ThreadingHTTPServer((args.listen, args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
