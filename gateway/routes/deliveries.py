"""Delivery to National Access Points: targets per entity, deliveries with their attempts, manual delivery and
redelivery."""
from marshmallow import fields, validate

from common.contracts.delivery import DeliverIn, TargetIn
from common.contracts.responses import (
    DeliveriesQueued, DeliveryOut, DeliveryPage, DeliveryTargetList, DeliveryTargetOut, VehicleDeliveries,
)
from gateway.auth import scoped
from gateway.http import json_response, route
from gateway.routes.paging import Page, page_of

STATES = ("queued", "sending", "accepted", "rejected", "failed")
WRITERS = ("data_steward", "signer")


class TargetQuery(Page):
    entity = fields.String(validate=validate.Length(1, 32), metadata={"description": "targets of this entity"})


class DeliveryQuery(Page):
    state = fields.String(validate=validate.OneOf(STATES), metadata={"description": "deliveries in this state"})
    entity = fields.String(validate=validate.Length(1, 32), metadata={"description": "deliveries of this entity"})
    vin = fields.String(validate=validate.Length(1, 17), metadata={"description": "deliveries of this VIN"})


class DeliveryRoutes:

    @route("GET", "/v1/delivery-targets", roles=(), query=TargetQuery, response=DeliveryTargetList,
           operation_id="listDeliveryTargets",
           summary="The NAP delivery targets of the caller's entities")
    def delivery_targets(self, call):
        items, next_cursor = page_of(self._rpc("delivery", "targets", call.query.get("entity")), call.query)
        return {"items": items, "next_cursor": next_cursor}

    @route("GET", "/v1/delivery-targets/{entity}/{name}", roles=(), response=DeliveryTargetOut,
           operation_id="getDeliveryTarget",
           summary="A NAP delivery target")
    def delivery_target(self, call, entity, name):
        scoped(call.identity, entity, f"delivery target {entity}/{name}")
        return self._rpc("delivery", "target", entity, name)

    @route("PUT", "/v1/delivery-targets/{entity}/{name}", roles=("admin",), body=TargetIn,
           response=DeliveryTargetOut, summary="Create or change a NAP delivery target of an entity",
           description="The endpoint (https), the transport profile (soap11-embedded, or wsdl driven by the "
                       "member state's WSDL), the entity's client certificate and key and the NAP's CA as file "
                       "references (never the key itself), the timeout and how many messages may be in flight. "
                       "Without `country` it is the entity's default target; with one it serves certificates of "
                       "that intended country of registration. `auto_deliver` queues released certificates.")
    def put_delivery_target(self, call, entity, name):
        scoped(call.identity, entity, f"legal entity {entity}")
        return self._rpc("delivery", "put_target", entity, name, call.body)

    @route("POST", "/v1/deliveries", roles=WRITERS, body=DeliverIn, response=DeliveriesQueued, status=202,
           operation_id="createDeliveries",
           location="/v1/deliveries?state=queued", retry_after=5,
           summary="Deliver the current certificates of VINs to their NAP target (sent in the background)")
    def deliver(self, call):
        return self._rpc("delivery", "deliver", call.body["vins"], call.body.get("target"))

    @route("GET", "/v1/deliveries", roles=(), query=DeliveryQuery, response=DeliveryPage,
           operation_id="listDeliveries",
           summary="Deliveries of the caller's entities, newest first, by state, entity and VIN")
    def deliveries(self, call):
        q = call.query
        return self._rpc("delivery", "list", q.get("state"), q.get("entity"), q.get("vin"), q["limit"],
                         q.get("cursor"))

    @route("GET", "/v1/deliveries/{id}", roles=(), response=DeliveryOut,
           summary="A delivery with every attempt (time, latency, HTTP status, receipt or errors)")
    def get_delivery(self, call, id):
        return self._rpc("delivery", "get", id)

    @route("POST", "/v1/deliveries/{id}/redelivery", roles=WRITERS, response=DeliveryOut, status=202,
           location="/v1/deliveries/{id}", retry_after=5,
           summary="Send a delivery's certificate version again (same bytes, same target) as a new delivery")
    def redeliver(self, call, id):
        delivery = self._rpc("delivery", "redeliver", id)  # a new delivery: Location names it, not the old one
        return json_response(delivery, status=202, headers={"Location": f"/v1/deliveries/{delivery['id']}"})

    @route("GET", "/v1/vehicles/{vin}/deliveries", roles=(), query=Page, response=VehicleDeliveries,
           operation_id="listVehicleDeliveries",
           summary="Every delivery of a vehicle's certificate versions, with the authority's answers")
    def vehicle_deliveries(self, call, vin):
        self._rpc("vehicles", "get", vin)  # 404 outside the caller's entities
        items, next_cursor = page_of(self._rpc("delivery", "of_vehicle", vin), call.query)
        return {"vin": vin, "items": items, "next_cursor": next_cursor}
