"""Requests that no declared route matches: answered as problem+json like every other error (404 for a path
the gateway does not serve, 405 with `Allow` for a method a path does not take), not with werkzeug's HTML."""
from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from gateway.problems import HttpProblem, problem_response


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, its routing failures turned into problem+json answers."""

    def __call__(self, environ, start_response):
        adapter = self.url_map.bind_to_environ(environ)
        try:
            adapter.match()
        except HTTPException as exc:
            return problem_response(routing_problem(exc))(environ, start_response)
        return super().__call__(environ, start_response)


def routing_problem(exc):
    if isinstance(exc, NotFound):
        return HttpProblem(404, "urn:ecoc:problem:not-found", "Not found", "no such route: see /openapi.json",
                           [{"field": "_path", "message": "no route has this path"}])
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return HttpProblem(405, "urn:ecoc:problem:method-not-allowed", "Method not allowed",
                           f"this path takes {allowed}", [{"field": "_method", "message": f"one of {allowed}"}],
                           headers={"Allow": allowed})
    return HttpProblem(exc.code or 400, "urn:ecoc:problem:http", exc.name, exc.description or exc.name)
