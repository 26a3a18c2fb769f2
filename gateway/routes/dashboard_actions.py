"""Acting on the dashboard's pages: plain HTML forms (no script needed), each posted with the session's CSRF
token from our own pages, going through the same RPCs, role checks and four-eyes rules as the API routes (the
services re-check them; a refusal is answered as a page with its status and reason). Approving and signing ask
for confirmation first: a page that says what will happen, with the button that does it."""
from marshmallow import ValidationError

from common.contracts.validation import ExceptionIn
from common.contracts.vehicles import CommentIn, RejectIn, ReleaseIn
from common.errors import DomainError
from gateway.auth import require
from gateway.dashboard import session
from gateway.dashboard.render import error_page, redirect
from gateway.dashboard.schemas import ExceptionListQuery, ReleaseListQuery, VehicleListQuery, WorkPageQuery
from gateway.dashboard.view import next_page_link, release_link
from gateway.http import route
from gateway.problems import HttpProblem, invalid
from gateway.routes.comments import WRITERS
from gateway.routes.work import WORKERS
from services.vehicles.domain.releases import RELEASE_STATES

FORM = ("application/x-www-form-urlencoded",)
ACTION = "A form of a signed-in dashboard session (field `csrf`: the session's token), posted from our own pages. " \
         "Answers 303 to the page that shows the result, or a page with the problem's status."
ACTION_ERRORS = (303, 403, 404, 409, 422)
DONE = {"accept": "accepted", "refuse": "refused"}
CONFIRM = "The confirmation page of the action: what it does and to what, with the button that does it."


def _form_errors(exc):
    return [{"field": field, "message": " ".join(messages) if isinstance(messages, list) else str(messages)}
            for field, messages in exc.messages.items()]


class DashboardActionRoutes:

    def _act(self, call, roles, act):
        """A page's form post: signed in (else to the sign-in page), CSRF-checked, holding one of `roles`;
        `act(identity)` answers. A refusal or bad input is answered as a page."""
        identity = self._page_caller(call.request)
        if identity is None:
            return redirect(session.LOGIN_PATH)
        try:
            session.check_form(call.request, self.page_session)
            require(identity, *roles)
            return act(identity)
        except (HttpProblem, DomainError) as exc:
            return error_page(exc, identity, self._csrf())

    @staticmethod
    def _confirmed(form):
        if form.get("confirm") != "yes":
            raise invalid("Not confirmed.", [{"field": "confirm", "message": "confirm on the confirmation page"}])

    # -- review ----------------------------------------------------------------------------------

    @route("GET", "/dashboard/releases/{release_id}/approve", produces="text/html", description=CONFIRM,
           errors=(303, 401, 403), summary="Confirm approving a release")
    def approve_confirm_page(self, call, release_id):
        return self._page(call, lambda identity: self._html(
            "confirm.html", identity, action="approve", release=self._rpc("vehicles", "get_release", release_id)))

    @route("POST", "/dashboard/releases/{release_id}/approve", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS, summary="Approve a release (confirmed; four-eyes as the API)")
    def approve_action(self, call, release_id):
        def act(identity):
            self._confirmed(call.request.form)
            self._rpc("vehicles", "approve_release", release_id)
            return redirect(f"{release_link(release_id)}?done=approved")
        return self._act(call, ("reviewer",), act)

    @route("POST", "/dashboard/releases/{release_id}/reject", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS, summary="Reject a release with a reason (four-eyes as the API)")
    def reject_action(self, call, release_id):
        def act(identity):
            try:
                body = RejectIn().load({"reason": (call.request.form.get("reason") or "").strip()})
            except ValidationError as exc:
                raise invalid("Say why the release is rejected.", _form_errors(exc)) from None
            self._rpc("vehicles", "reject_release", release_id, body)
            return redirect(f"{release_link(release_id)}?done=rejected")
        return self._act(call, ("reviewer",), act)

    # -- signing ---------------------------------------------------------------------------------

    @route("GET", "/dashboard/releases/{release_id}/sign", produces="text/html", description=CONFIRM,
           errors=(303, 401, 403), summary="Confirm signing a release")
    def sign_confirm_page(self, call, release_id):
        return self._page(call, lambda identity: self._html(
            "confirm.html", identity, action="sign", release=self._rpc("vehicles", "get_release", release_id)))

    @route("POST", "/dashboard/releases/{release_id}/sign", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS,
           summary="Sign an approved release (confirmed; the signer must be an authorised signatory, as the API)")
    def sign_action(self, call, release_id):
        def act(identity):
            self._confirmed(call.request.form)
            self._sign_release(identity, release_id)
            return redirect(f"{release_link(release_id)}?done=signing")
        return self._act(call, ("signer",), act)

    # -- requesting a release --------------------------------------------------------------------

    @route("GET", "/dashboard/vehicles", query=VehicleListQuery, produces="text/html",
           errors=(303, 401, 403, 404, 422),
           summary="Vehicles by state (valid ones selectable for a release request), paged",
           description="The list the data steward picks vehicles from; `vin` finds one vehicle.")
    def get_vehicles_page(self, call):
        def build(identity):
            q = call.query  # a bad filter is answered as a page
            if q.get("vin"):
                found = self._rpc("vehicles", "get", q["vin"])  # 404 page outside the caller's entities
                return redirect(f"/dashboard/vehicles/{found['vin']}/coc")
            page = self._rpc("vehicles", "list", q["status"], q.get("entity"), q.get("approval_number"), q["limit"],
                             q.get("cursor"), None, q.get("intended_country"), q.get("older_than_days"), q.get("team"))
            return self._html("vehicles.html", identity, page=page, query=q, teams=self._rpc("vehicles", "teams"),
                              next_page=next_page_link("/dashboard/vehicles", q, page["next_cursor"]))
        return self._page(call, build)

    @route("GET", "/dashboard/releases", query=ReleaseListQuery, produces="text/html", errors=(303, 401, 403, 422),
           summary="Releases by state (in review, approved: waiting for signing, ...), oldest first, paged",
           description="Filters: entity, intended country and approval number of a vehicle in it, owning team, "
                       "requested at least N days ago.")
    def get_releases_page(self, call):
        def build(identity):
            q = call.query  # a bad filter is answered as a page
            page = self._rpc("vehicles", "list_releases", q["status"], q.get("entity"), None, None, q["limit"],
                             q.get("cursor"), q.get("intended_country"), q.get("approval_number"),
                             q.get("older_than_days"), q.get("team"))
            return self._html("releases.html", identity, page=page, query=q, teams=self._rpc("vehicles", "teams"),
                              states=RELEASE_STATES, link=release_link,
                              next_page=next_page_link("/dashboard/releases", q, page["next_cursor"]))
        return self._page(call, build)

    @route("POST", "/dashboard/releases", consumes=FORM, produces="text/html", status=303, description=ACTION,
           errors=ACTION_ERRORS, summary="Request a release of the selected valid vehicles (as the API)")
    def request_release_action(self, call):
        def act(identity):
            form = call.request.form
            try:
                body = ReleaseIn().load({"vins": form.getlist("vin"), "note": (form.get("note") or "").strip() or None})
            except ValidationError as exc:
                raise invalid("Select the vehicles to release.", _form_errors(exc)) from None
            answer = self._rpc("vehicles", "request_release", body)
            return redirect(f"{release_link(answer['id'])}?done=requested")
        return self._act(call, ("data_steward",), act)

    # -- comments --------------------------------------------------------------------------------

    def _comment(self, call, **subject):
        try:
            body = CommentIn().load({"body": (call.request.form.get("body") or "").strip()})
        except ValidationError as exc:
            raise invalid("Write the comment.", _form_errors(exc)) from None
        return self._rpc("vehicles", "add_comment", body, **subject)

    @route("POST", "/dashboard/vehicles/{vin}/comments", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS, summary="Comment on a vehicle (as the API)")
    def comment_vehicle_action(self, call, vin):
        def act(identity):
            self._comment(call, vin=vin)
            return redirect(f"/dashboard/vehicles/{vin}/coc#comments")
        return self._act(call, WRITERS, act)

    @route("POST", "/dashboard/releases/{release_id}/comments", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS, summary="Comment on a release (as the API)")
    def comment_release_action(self, call, release_id):
        def act(identity):
            self._comment(call, release_id=release_id)
            return redirect(f"{release_link(release_id)}#comments")
        return self._act(call, WRITERS, act)

    # -- the exceptions register -----------------------------------------------------------------

    @route("GET", "/dashboard/exceptions", query=ExceptionListQuery, produces="text/html", errors=(303, 401, 403, 422),
           summary="The exceptions register: open, accepted, refused and expired exceptions, paged")
    def get_exceptions_page(self, call):
        def build(identity):
            q = call.query  # a bad filter is answered as a page
            page = self._rpc("validation", "exceptions", q.get("entity"), q.get("vin"), q.get("state"), q["limit"],
                             q.get("cursor"), q.get("approval_number"), q.get("older_than_days"))
            return self._html("exceptions.html", identity, query=q, done=call.request.args.get("done"), page=page,
                              next_page=next_page_link("/dashboard/exceptions", q, page["next_cursor"]))
        return self._page(call, build)

    @route("POST", "/dashboard/exceptions", consumes=FORM, produces="text/html", status=303, description=ACTION,
           errors=ACTION_ERRORS, summary="Ask for a warning of a vehicle to be accepted (as the API)")
    def request_exception_action(self, call):
        def act(identity):
            form = call.request.form
            try:
                body = ExceptionIn().load({"rule": form.get("rule") or "", "vin": form.get("vin") or None,
                                           "reason": (form.get("reason") or "").strip(),
                                           "expires_on": form.get("expires_on") or ""})
            except ValidationError as exc:
                raise invalid("The exception cannot be asked for like that.", _form_errors(exc)) from None
            self._rpc("validation", "request_exception", dict(body, expires_on=body["expires_on"].isoformat()))
            return redirect("/dashboard/exceptions?state=open&done=requested")
        return self._act(call, ("data_steward", "reviewer"), act)

    @route("POST", "/dashboard/exceptions/{exception_id}/decision", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS,
           summary="Accept or refuse an open exception (field `decision`: accept or refuse; four-eyes as the API)")
    def decide_exception_action(self, call, exception_id):
        def act(identity):
            form = call.request.form
            decision = form.get("decision")
            if decision not in ("accept", "refuse"):
                raise invalid("Accept or refuse.", [{"field": "decision", "message": "accept or refuse"}])
            note = (form.get("note") or "").strip() or None
            self._rpc("validation", "decide_exception", exception_id, decision == "accept", {"note": note})
            return redirect(f"/dashboard/exceptions?done={DONE[decision]}")
        return self._act(call, ("reviewer",), act)

    # -- work ------------------------------------------------------------------------------------

    @route("GET", "/dashboard/work", query=WorkPageQuery, produces="text/html", errors=(303, 401, 403, 422),
           summary="Work by owning team and assignee: blocked vehicles and waiting releases, oldest first, paged; "
                   "`mine=1`: my teams' and mine, with forms to claim, assign or give back an item",
           description="Filters as `GET /v1/work`: intended country, approval number (a release: its first "
                       "vehicle's), waiting at least N days, kind, owning team, assignee.")
    def get_work_page(self, call):
        def build(identity):
            q = call.query  # a bad filter is answered as a page
            work = self._work_page(q)
            teams = self._rpc("vehicles", "teams")
            kept = {k: v for k, v in q.items() if k != "done"}
            return self._html("work.html", identity, work=work, teams=teams, query=q, may_work=WORKERS,
                              members={t["id"]: t["members"] for t in teams},
                              overdue_hours=self.settings.work_overdue_hours,
                              next_page=next_page_link("/dashboard/work", kept, work["next_cursor"]))
        return self._page(call, build)
