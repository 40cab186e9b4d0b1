#!/usr/bin/python3
"""storefront: the small web shop that the "Steady state" lab experiments on.

It keeps a visit counter and its product list in Redis, so it is only as healthy as Redis:

  GET /health    200 {"status": "ok", "redis": "up"} when Redis answers PING in time,
                 503 {"status": "degraded", "redis": "down", "error": "..."} otherwise
  GET /          200 {"service": "storefront", "visits": N}   (N is incremented in Redis)
  GET /products  200 [ {...}, ... ]   (seeded into Redis at start-up and whenever missing)
  anything else  404

Every Redis call is bounded by REDIS_TIMEOUT_SECONDS, so the service answers quickly even
while Redis hangs, and it reconnects by itself once Redis is back. (Looking up a name that
does not resolve takes about 1 s more: see RES_OPTIONS in the Dockerfile.)
Configuration (environment): REDIS_HOST (redis), REDIS_PORT (6379), REDIS_TIMEOUT_SECONDS (0.5).
"""

import json
import os
import signal
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

LISTEN = ("0.0.0.0", 8080)
REDIS_HOST = os.environ.get("REDIS_HOST", "redis")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.5"))

VISITS_KEY = "storefront:visits"
PRODUCTS_KEY = "storefront:products"
PRODUCTS = [
    {"id": 1, "name": "Chaos monkey plush", "price_cents": 1999, "stock": 12},
    {"id": 2, "name": "Steady-state mug", "price_cents": 1250, "stock": 40},
    {"id": 3, "name": "Blast radius t-shirt", "price_cents": 2400, "stock": 25},
    {"id": 4, "name": "Game day sticker pack", "price_cents": 500, "stock": 100},
    {"id": 5, "name": "Rollback button (big, red)", "price_cents": 3500, "stock": 3},
]

# One client for all request threads: redis-py's connection pool is thread-safe, drops a
# connection that failed, and opens a new one on the next call (that is how we recover).
db = redis.Redis(
    host=REDIS_HOST,
    port=REDIS_PORT,
    socket_timeout=REDIS_TIMEOUT,
    socket_connect_timeout=REDIS_TIMEOUT,
    retry_on_timeout=False,
    decode_responses=True,
)


def log(message):
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}", flush=True)


def short_reason(error):
    """A one-line description of a Redis failure, e.g. 'timeout after 0.5s'."""
    if isinstance(error, redis.exceptions.TimeoutError):
        return f"timeout after {REDIS_TIMEOUT:g}s"
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:120]


def seed_products():
    """Store the product list unless it is already there (SET NX); return the stored list."""
    db.set(PRODUCTS_KEY, json.dumps(PRODUCTS), nx=True)
    return json.loads(db.get(PRODUCTS_KEY) or "[]")


def seed_at_startup():
    """Seed the products as soon as Redis is reachable; quiet while it isn't."""
    while True:
        try:
            seed_products()
            log(f"products seeded in redis at {REDIS_HOST}:{REDIS_PORT}")
            return
        except redis.exceptions.RedisError:
            time.sleep(1)


class Handler(BaseHTTPRequestHandler):
    def version_string(self):  # the Server header
        return "storefront/1.0"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        routes = {"/health": self.health, "/": self.home, "/products": self.products}
        route = routes.get(path)
        if route is None:
            self.send_json(HTTPStatus.NOT_FOUND, {"error": "not found", "path": path})
            return
        try:
            route()
        except redis.exceptions.ResponseError as error:
            # Redis answered, with an error (e.g. WRONGTYPE after someone changed our keys).
            self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR,
                           {"error": "redis error", "detail": short_reason(error)})
        except redis.exceptions.RedisError as error:
            # Redis could not be reached, or did not answer in time.
            self.send_json(HTTPStatus.SERVICE_UNAVAILABLE,
                           {"error": "redis unavailable", "detail": short_reason(error)})
        except Exception as error:
            # A bug or bad data (e.g. the stored products are not valid JSON): answer, log, go on.
            log(f"error on {path}: {type(error).__name__}: {error}")
            self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"})

    def do_HEAD(self):
        self.do_GET()

    def health(self):
        try:
            db.ping()
        except redis.exceptions.RedisError as error:
            self.send_json(HTTPStatus.SERVICE_UNAVAILABLE,
                           {"status": "degraded", "redis": "down", "error": short_reason(error)})
            return
        self.send_json(HTTPStatus.OK, {"status": "ok", "redis": "up"})

    def home(self):
        self.send_json(HTTPStatus.OK, {"service": "storefront", "visits": db.incr(VISITS_KEY)})

    def products(self):
        stored = db.get(PRODUCTS_KEY)
        items = json.loads(stored) if stored else seed_products()
        self.send_json(HTTPStatus.OK, items)

    def send_json(self, status, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (malformed request, unsupported method) as JSON too.
        self.close_connection = True
        try:
            reason = message or HTTPStatus(code).phrase
        except ValueError:
            reason = "error"
        self.send_json(code, {"error": reason})

    def parse_request(self):
        self.started = time.monotonic()
        return super().parse_request()

    def log_request(self, code="-", size="-"):
        # One access-log line per request, on stdout, with the time it took to answer.
        elapsed_ms = (time.monotonic() - getattr(self, "started", time.monotonic())) * 1000
        code = getattr(code, "value", code)
        log(f'{self.client_address[0]} "{self.requestline}" {code} {elapsed_ms:.0f}ms')

    def log_message(self, format, *args):
        log(format % args)


def main():
    server = ThreadingHTTPServer(LISTEN, Handler)

    def stop(signum, frame):
        raise SystemExit(0)

    # Leave serve_forever() at once on SIGTERM (docker stop) or Ctrl-C.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    threading.Thread(target=seed_at_startup, daemon=True).start()
    log(f"storefront listening on {LISTEN[0]}:{LISTEN[1]}, redis at {REDIS_HOST}:{REDIS_PORT} "
        f"(timeout {REDIS_TIMEOUT:g}s)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        log("storefront stopped")


if __name__ == "__main__":
    sys.exit(main())
