"""The HTTP server the emulator listens with, on a free port of 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from sandbox.botapi.endpoint import Endpoint

logger = logging.getLogger(__name__)


class HttpServer(ThreadingHTTPServer):
    """The HTTP server; tracks connections so that `stop()` can close them."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, endpoint: Endpoint, port: int = 0) -> None:
        self.endpoint = endpoint
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), RequestHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host name."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.socket.getsockname()[1])

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        """Remember or forget an open client connection."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every client connection so their handler threads end."""
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler errors (mostly clients that went away) instead of printing them."""
        logger.debug("Error serving %r from %s", request, client_address, exc_info=True)


class RequestHandler(BaseHTTPRequestHandler):
    """Reads a request, hands it to the endpoint and writes the answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body in two packets cost 40 ms per call
    server: HttpServer

    def setup(self) -> None:
        """Register the connection with the server."""
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        """Serve a GET request."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a POST request."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests at debug level instead of printing them."""
        logger.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailer headers
        return b"".join(chunks)

    def _serve(self) -> None:
        url = urlsplit(self.path)
        status, content_type, body = self.server.endpoint.serve_http(
            unquote(url.path), url.query, self.headers.get("Content-Type", ""), self._read_body()
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
