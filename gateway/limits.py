"""How much the gateway reads of a request: the body-size limit (`ECOC_MAX_BODY_BYTES`) and the JSON depth limit.

A body declared larger than the limit (Content-Length) is refused with 413 before a byte of it is read, and
the connection is closed, so the unread body is neither drained nor taken for the next request. A chunked
body (no Content-Length) is read up to the limit: the read that goes past it fails with 413, also closing."""
from nameko import config
from nameko.web.server import HttpOnlyProtocol, WebServer
from werkzeug.wsgi import LimitedStream

from gateway.problems import HttpProblem, problem_response

MAX_JSON_DEPTH = 64  # IVI-shaped CoC documents nest about eight levels


def too_large(limit):
    return HttpProblem(413, "urn:ecoc:problem:too-large", "Content too large",
                       f"the body is larger than {limit:,} bytes, the most this server reads",
                       [{"field": "_body", "message": f"at most {limit:,} bytes"}])


class BodyCap(LimitedStream):
    """The request body, read up to `limit` bytes; reading past them calls `on_exceeded()` and raises 413."""

    def __init__(self, stream, limit, on_exceeded):
        # one byte more than the limit may be read, so a body of exactly `limit` bytes ends normally
        super().__init__(stream, limit + 1, is_max=True)
        self.on_exceeded = on_exceeded

    def on_exhausted(self):
        self.on_exceeded()
        raise too_large(self.limit - 1)

    def readall(self):
        data = super().readall()  # werkzeug's stops quietly at the limit: here, that means one byte too many
        if self.is_exhausted:
            self.on_exhausted()
        return data


class BodyLimitProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol with the gateway's body-size limit (`server.max_body_bytes`)."""

    def handle_one_response(self):
        limit = self.server.max_body_bytes
        declared = int(self.environ.get("CONTENT_LENGTH") or 0)  # eventlet refused one that is not a number
        if declared > limit:
            self.close_connection = 1
            self.application = problem_response(too_large(limit))
        else:
            # eventlet's input ends a chunked body itself; werkzeug then reads it instead of taking it as empty
            self.environ["wsgi.input_terminated"] = True
            self.environ["wsgi.input"] = BodyCap(self.environ["wsgi.input"], limit, self._close_after_answer)
        super().handle_one_response()

    def _close_after_answer(self):
        self.close_connection = 1  # the rest of the body is never read


class LimitedWebServer(WebServer):
    """nameko's web server with `BodyLimitProtocol`; the limit is the nameko config's MAX_BODY_BYTES. A request no
    route matches is answered with problem+json (`gateway.unmatched`)."""

    def get_wsgi_app(self):
        from gateway.unmatched import ProblemWsgiApp

        return ProblemWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=BodyLimitProtocol, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        server.max_body_bytes = int(config["MAX_BODY_BYTES"])
        return server


def json_depth(value):
    """How deep `value` (parsed JSON) nests: 0 for a scalar, 1 for a flat list or object."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth + 1)
            todo.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest
