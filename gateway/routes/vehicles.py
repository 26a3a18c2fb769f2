"""Vehicles, their history and certificates."""
from werkzeug.wrappers import Response

from gateway.http import http, json_body, json_response
from gateway.problems import invalid
from gateway.routes.paging import limit_param


class VehicleRoutes:

    @http("POST", "/v1/vehicles/import")
    def import_vehicles(self, request):
        self._who(request, "data_steward")
        return json_response(self._rpc("vehicles", "import_vehicles", json_body(request)))

    @http("GET", "/v1/vehicles")
    def list_vehicles(self, request):
        self._who(request)
        args = request.args
        limit = limit_param(args.get("limit"))
        return json_response(self._rpc("vehicles", "list", args.get("status"), args.get("entity"),
                                       args.get("approval_number"), limit, args.get("cursor")))

    @http("GET", "/v1/vehicles/<string:vin>")
    def get_vehicle(self, request, vin):
        self._who(request)
        return json_response(self._rpc("vehicles", "get", vin))

    @http("GET", "/v1/vehicles/<string:vin>/history")
    def vehicle_history(self, request, vin):
        self._who(request)
        return json_response({"vin": vin, "revisions": self._rpc("vehicles", "history", vin)})

    @http("GET", "/v1/vehicles/<string:vin>/certificate")
    def current_certificate(self, request, vin):
        self._who(request)
        self._rpc("vehicles", "get", vin)  # scope: 404 outside the caller's entities
        found = self._rpc("signing", "get_current", vin)
        summary = found["summary"]
        return Response(found["document"].encode("utf-8"), status=200, mimetype="application/xml", headers={
            "ETag": f'"{summary["sha256"]}"', "X-Ivi-Reference-Id": summary["reference_id"],
            "X-Ivi-Version-Number": str(summary["version_number"]),
            "Content-Disposition": f'attachment; filename="{vin}-v{summary["version_number"]}.xml"'})

    @http("GET", "/v1/vehicles/<string:vin>/certificates")
    def certificate_versions(self, request, vin):
        self._who(request)
        self._rpc("vehicles", "get", vin)
        return json_response({"vin": vin, "items": self._rpc("signing", "versions", vin)})

    @http("POST", "/v1/certificates/verify")
    def verify_certificate(self, request):
        self._who(request)
        document = request.get_data(as_text=False)
        try:
            text = document.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("The document is not UTF-8.", [{"field": "_body", "message": "not UTF-8"}]) from None
        return json_response(self._rpc("signing", "verify", text))
