"""Acting on the dashboard's pages: plain HTML forms (no script needed), each posted with the session's CSRF
token from our own pages, going through the same RPCs, role checks and four-eyes rules as the API routes.
Approving and signing ask for confirmation first (a page that says what will happen, with the button)."""


class DashboardActionRoutes:
    pass
