"""Names the type of what is posted to it, with libmagic opened through
ctypes at run time (as python-magic does): the library must be in the
image although nothing links it."""

import ctypes
from http.server import BaseHTTPRequestHandler, HTTPServer

MAGIC_MIME_TYPE = 0x10

lib = ctypes.CDLL("libmagic.so.1")
lib.magic_open.restype = ctypes.c_void_p
lib.magic_open.argtypes = [ctypes.c_int]
lib.magic_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.magic_buffer.restype = ctypes.c_char_p
lib.magic_buffer.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
lib.magic_error.restype = ctypes.c_char_p
lib.magic_error.argtypes = [ctypes.c_void_p]

cookie = lib.magic_open(MAGIC_MIME_TYPE)
if lib.magic_load(cookie, None) != 0:
    raise SystemExit("magic_load: %s" % lib.magic_error(cookie))


def mime(data: bytes) -> str:
    return lib.magic_buffer(cookie, data, len(data)).decode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        samples = {
            "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00",
            "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "gzip": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        }
        body = "".join("%s %s\n" % (k, mime(v)) for k, v in samples.items()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = (mime(data) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print("listening on :8000", flush=True)
    HTTPServer(("", 8000), Handler).serve_forever()
