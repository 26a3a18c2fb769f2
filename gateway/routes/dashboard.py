"""The dashboard (JSON and HTML) and the readable CoC of a vehicle.

HTML pages authenticate with the bearer header or the session cookie of `gateway.dashboard.session`; a page
without either sends the browser to the sign-in page."""
from datetime import datetime, timezone

from common.composition import compose_coc
from common.resolution_plan import reference_date
from common.errors import DomainError
from gateway.dashboard import session
from gateway.dashboard.coc_view import coc_view
from gateway.dashboard.render import error_page, redirect, render
from gateway.dashboard.review import all_findings, approval_change, field_diff, labelled_history, vehicle_values
from gateway.dashboard.times import DEFAULT_LOCALE, reader_locale
from gateway.dashboard.schemas import CocView, Dashboard, DashboardQuery, ReleasePageQuery
from gateway.dashboard.view import coc_link, dashboard, next_page_link, release_item_link
from gateway.http import route
from gateway.problems import HttpProblem

PAGE = "Authenticated by the session cookie of a dashboard sign-in, or by a bearer token; without "\
       "either the page redirects (303) to the login form. Any role may read; the caller sees only its entities."
# 401/403: a bearer token that fails (the session cookie never answers them); 503/504: a service the page reads
PAGE_ERRORS = (303, 401, 403, 503, 504)


class DashboardRoutes:

    page_session = None  # the dashboard session of this worker's request (a new service instance per worker)
    page_locale = DEFAULT_LOCALE  # the language of this worker's request (`Accept-Language`): how times read

    def _page_caller(self, request):
        """The caller of an HTML page, carried into every RPC after; None: not signed in."""
        self.page_locale = reader_locale(request.headers.get("Accept-Language"))
        identity, self.page_session = session.page_caller(request, self.settings, self.sessions)
        if identity is not None:
            self.caller.set(identity)
        return identity

    def _page(self, call, build):
        """An HTML page: `build(identity)` makes it for a signed-in caller; a browser that is not signed in
        goes to the login form; a problem inside (an unknown VIN, a refused action) is answered as a page."""
        identity = self._page_caller(call.request)
        if identity is None:
            return redirect(session.LOGIN_PATH)
        try:
            return build(identity)
        except (HttpProblem, DomainError) as exc:
            return error_page(exc, identity, self._csrf())

    def _csrf(self):
        return self.page_session.csrf if self.page_session is not None else None

    def _html(self, template, identity, status=200, **context):
        """A page for `identity`; its forms carry the session's CSRF token (a bearer caller gets no forms)."""
        return render(template, status=status, identity=identity, csrf=self._csrf(), locale=self.page_locale,
                      zone=self.settings.display_zone, **context)

    def _dashboard(self, query):
        answer = self._rpc("vehicles", "dashboard", query.get("entity"), query.get("country"),
                           query.get("blocked_limit", 20))
        seals = self._rpc("signing", "seal_statuses")
        exceptions = self._rpc("delivery", "exceptions", query.get("entity"))
        return dashboard(answer, seals, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         query.get("entity"), query.get("country"), exceptions)

    def _coc(self, vin):
        """The CoC of `vin` as a person reads it: the sealed certificate of a released vehicle, otherwise the
        data it would be certified with (approval data in force + vehicle data), which a reviewer approves.
        The preview leaves out what only sealing adds: the signature block and a multi-stage vehicle's
        earlier-stage tables."""
        vehicle = self._rpc("vehicles", "get", vin)  # 404 outside the caller's entities
        if vehicle["status"] == "released":
            found = self._rpc("signing", "readable", vin)
            view = coc_view(found["coc"], found["header"])
            return dict(view, vin=vin, source="certificate", certificate=found["summary"], vehicle=vehicle)
        [resolved] = self._rpc("approvals", "resolve", [{
            "entity": vehicle["entity"], "number": vehicle["approval_number"], "type": vehicle["type"],
            "variant": vehicle["variant"], "version": vehicle["version"],
            "production_date": reference_date(vehicle)}])
        coc = compose_coc(resolved["coc"] if resolved.get("ok") else {}, vehicle)
        header = {"IntendedCountryRegistration": vehicle["intended_country"]} if vehicle["intended_country"] else {}
        view = coc_view(coc, header)
        return dict(view, vin=vin, source="preview", certificate=None, vehicle=vehicle, composed=coc,
                    approval_problem=None if resolved.get("ok") else resolved.get("message"))

    # -- JSON ------------------------------------------------------------------------------------

    @route("GET", "/v1/dashboard", roles=(), query=DashboardQuery, response=Dashboard, operation_id="getDashboard",
           summary="What needs attention, per legal entity and intended country",
           description="Vehicle counts by state per entity and intended country; blocked vehicles with their top "
                       "findings (item number and label of the field beside each); releases waiting for review "
                       "(`in_review`) or signing (`approved`); each entity's seal certificate and those expiring "
                       "within 30 days; deliveries a National Access Point rejected or that failed, with their "
                       "owner, until the certificate is delivered. An eCoC does not expire; the seal that signs it "
                       "does, and signing stops then.")
    def dashboard_json(self, call):
        return self._dashboard(call.query)

    @route("GET", "/v1/vehicles/{vin}/coc", roles=(), response=CocView, operation_id="getVehicleCoc",
           summary="A vehicle's CoC with item numbers and labels beside the values",
           description="Released: read from the sealed certificate (`source: certificate`). Otherwise the data "
                       "it would be certified with (`source: preview`). Item numbers follow the EU CoC models "
                       "of Annex VIII to Regulation (EU) 2020/683 (categories M, N, O).")
    def coc_json(self, call, vin):
        view = self._coc(vin)
        view.pop("vehicle")
        view.pop("composed", None)
        return view

    # -- HTML ------------------------------------------------------------------------------------

    @route("GET", "/dashboard", query=DashboardQuery, produces="text/html", description=PAGE, errors=PAGE_ERRORS,
           operation_id="getDashboardPage",
           summary="The dashboard page")
    def dashboard_page(self, call):
        return self._page(call, lambda identity: self._html(
            "dashboard.html", identity, board=self._dashboard(call.query), shown=call.query["blocked_limit"]))

    @route("GET", "/dashboard/releases/{release_id}", query=ReleasePageQuery, produces="text/html",
           description=PAGE, errors=PAGE_ERRORS, operation_id="getReleasePage",
           summary="A release's vehicles (a page of them in VIN order), each linked to its readable CoC")
    def release_page(self, call, release_id):
        def page(identity):
            q = call.query
            release = self._rpc("vehicles", "get_release", release_id, q.get("cursor"), q["limit"])
            path = f"/dashboard/releases/{release_id}"
            return self._html(
                "release.html", identity, release=release, coc_link=coc_link, item_link=release_item_link,
                done=call.request.args.get("done"), first_page=path if q.get("cursor") else None,
                next_page=next_page_link(path, {"limit": q["limit"]}, release["next_cursor"]),
                waived=self._rpc("validation", "waived", [v["vin"] for v in release["vehicles"]]),
                comments={"items": self._rpc("vehicles", "comments", release_id=release_id),
                          "action": f"/dashboard/releases/{release_id}/comments", "about": "this release"})

        return self._page(call, page)

    @route("GET", "/dashboard/releases/{release_id}/items/{vin}", produces="text/html", description=PAGE,
           operation_id="getReleaseItemPage",
           errors=PAGE_ERRORS, summary="A release item's pinned CoC: what its reviewers see and signing seals")
    def release_item_page(self, call, release_id, vin):
        return self._page(call, lambda identity: self._html(
            "coc.html", identity, view=self._pinned(release_id, vin), comments=self._vehicle_comments(vin)))

    def _vehicle_comments(self, vin):
        return {"items": self._rpc("vehicles", "comments", vin=vin), "action": f"/dashboard/vehicles/{vin}/comments",
                "about": f"vehicle {vin}"}

    def _pinned(self, release_id, vin):
        item = self._rpc("vehicles", "release_item", release_id, vin)  # 404 outside the caller's entities
        vehicle = self._rpc("vehicles", "get", vin)
        return dict(coc_view(item["content"] or {}), vin=vin, source="pinned", item=item, release_id=release_id,
                    certificate=None, vehicle=vehicle, review=self._review(vehicle, item["content"]),
                    approval_change=self._approval_change(vehicle, item["approval_revision"], item["approval_number"]))

    def _approval_change(self, vehicle, revision=None, number=None):
        """The approval revision a page shows the type-level data of (`revision` of approval `number`, pinned by a
        release; None: the one in force for the vehicle now), the revision the VIN's last certificate was composed
        from, and the type-level fields that changed between them (`review.approval_change`)."""
        vin = vehicle["vin"]
        key = {"entity": vehicle["entity"], "number": number or vehicle["approval_number"], "type": vehicle["type"],
               "variant": vehicle["variant"], "version": vehicle["version"],
               "production_date": vehicle["production_date"]}
        certified = self._rpc("signing", "versions", vin)  # oldest first
        last = certified[-1] if certified else None
        item = None  # a certificate that no release of ours sealed (a legacy one) names no approval revision
        if last is not None and last.get("release_id"):
            item = self._rpc("vehicles", "release_item", last["release_id"], vin)
        asked = [dict(key, revision=revision) if revision else key]
        if item is not None:
            asked.append(dict(key, number=item["approval_number"], revision=item["approval_revision"]))
        answers = self._rpc("approvals", "resolve", asked)
        return approval_change(answers[0], item, answers[1] if item is not None else None,
                               first_issue=not certified)

    def _review(self, vehicle, content):
        """What a reviewer reads beside `content` (the pinned or would-be CoC of `vehicle`): the field-by-field diff
        against the VIN's current certificate, or for a first issue the values that come from the vehicle; every
        finding; the vehicle's history."""
        vin = vehicle["vin"]
        certified = self._rpc("signing", "versions", vin)
        baseline, changes = None, None
        if certified:
            found = self._rpc("signing", "readable", vin)
            baseline, changes = found["summary"], field_diff(found["coc"], content)
        waived = {w["rule"]: w for w in self._rpc("validation", "waived", [vin]).get(vin, [])}
        return {"baseline": baseline, "changes": changes, "waived": waived, "vin": vin,
                "vehicle_values": None if certified else vehicle_values(vehicle.get("coc")),
                "findings": all_findings(vehicle.get("findings")),
                "history": labelled_history(self._rpc("vehicles", "history", vin))}

    @route("GET", "/dashboard/vehicles/{vin}/coc", produces="text/html", description=PAGE, errors=PAGE_ERRORS,
           operation_id="getCocPage",
           summary="A vehicle's CoC to read: item number, label and value per line")
    def coc_page(self, call, vin):
        def build(identity):
            view = self._coc(vin)
            review = self._review(view["vehicle"], view["composed"]) if view["source"] == "preview" else None
            return self._html("coc.html", identity, view=dict(view, review=review,
                                                               approval_change=self._approval_change(view["vehicle"])),
                              comments=self._vehicle_comments(vin))
        return self._page(call, build)

    @route("GET", "/dashboard/rollout", produces="text/html", description=PAGE, errors=PAGE_ERRORS,
           operation_id="getRolloutPage",
           summary="Rollout per entity: scopes, mode, parity, gate status, volume in the last 7 and 30 days")
    def rollout_page(self, call):
        return self._page(call, lambda identity: self._html(
            "rollout.html", identity, scopes=self._rpc("rollout", "overview")))

    @route("GET", "/dashboard/rollout/scopes/{scope_id}", produces="text/html", description=PAGE,
           operation_id="getParityPage",
           errors=PAGE_ERRORS, summary="A rollout scope's parity: differing fields ranked, examples, legacy findings")
    def parity_page(self, call, scope_id):
        return self._page(call, lambda identity: self._html(
            "parity.html", identity, report=self._rpc("rollout", "parity", scope_id)))
