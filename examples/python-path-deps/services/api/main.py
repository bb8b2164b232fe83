"""The API: answers every GET with the shared library's greeting."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import six
from shared import greeting


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{greeting('api')} (six {six.__version__})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
