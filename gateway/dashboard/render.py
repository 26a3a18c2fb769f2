"""HTML pages from Jinja2 templates; every value is escaped (autoescape on for all templates)."""
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from werkzeug.wrappers import Response

from common import authz
from gateway.dashboard.times import DEFAULT_LOCALE, local_time

TEMPLATES = Path(__file__).with_name("templates")

# no script at all; inline styles only; forms post only to us; never framed
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # with no-referrer a browser posts forms with `Origin: null`
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

@pass_context
def when(context, value):
    """A timestamp as the page's reader reads it (`times.local_time`) in the page's `locale` and `zone` (a page
    rendered without them: `times.DEFAULT_LOCALE`, UTC)."""
    return local_time(value, context.get("locale") or DEFAULT_LOCALE, context.get("zone") or "UTC")


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["when"] = when
# which actions a page offers; the action itself is checked again by the gateway and the service
_env.globals["holds"] = lambda identity, *roles: bool(identity) and authz.holds(identity, roles)


def render(template, status=200, **context):
    html = _env.get_template(template).render(**context)
    return Response(html, status=status, mimetype="text/html", headers=SECURITY_HEADERS)


def redirect(location):
    return Response("", status=303, mimetype="text/html", headers=dict(SECURITY_HEADERS, Location=location))


def error_page(exc, identity, csrf=None):
    """A person's mistake on a page (unknown VIN, bad parameter, an action refused) answered as a page with the
    problem's status."""
    return render("error.html", status=exc.status, identity=identity, csrf=csrf, title=exc.title, detail=exc.detail,
                  errors=exc.errors)
