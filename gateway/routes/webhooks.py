"""Webhooks: subscriptions per entity, their delivery log, redelivery and a test ping (docs/webhooks.md)."""
from marshmallow import fields, validate

from common.contracts.responses import (WebhookCreated, WebhookDeliveryDetail, WebhookDeliveryOut,
                                        WebhookDeliveryPage, WebhookOut, WebhookPage)
from common.contracts.webhooks import WebhookIn, WebhookPatch
from gateway.auth import may_see
from gateway.http import json_response, route
from gateway.problems import unknown_entity
from gateway.routes.paging import Page

MANAGERS = ("data_steward",)  # and admin, who holds every role


class WebhookQuery(Page):
    entity = fields.String(validate=validate.Length(1, 32), metadata={"description": "only this entity's webhooks"})


class DeliveryQuery(Page):
    status = fields.String(validate=validate.OneOf(("pending", "delivered", "failed")),
                           metadata={"description": "only deliveries in this status"})


class WebhookRoutes:

    @route("POST", "/v1/webhooks", roles=MANAGERS, body=WebhookIn, response=WebhookCreated, status=201,
           location="/v1/webhooks/{id}",
           summary="Subscribe a URL to an entity's events; the answer shows the signing secret, once",
           description="Each event of the change feed (GET /v1/events) of the entity and of the chosen types is "
           "POSTed to the URL as JSON, signed with `Ecoc-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "
           "\"<t>.<body>\" with the secret>` (docs/webhooks.md). Failed deliveries are retried with exponential "
           "back-off for 24 h; a webhook whose deliveries all fail for 24 h is disabled (event `webhook_disabled`).")
    def create_webhook(self, call):
        if not may_see(call.identity, call.body["entity"]):
            raise unknown_entity(call.body["entity"])
        return self._rpc("webhooks", "create", call.body)

    @route("GET", "/v1/webhooks", roles=(), query=WebhookQuery, response=WebhookPage,
           summary="The webhooks of the caller's entities")
    def list_webhooks(self, call):
        q = call.query
        return self._rpc("webhooks", "list", q.get("entity"), q["limit"], q.get("cursor"))

    @route("GET", "/v1/webhooks/{id}", roles=(), response=WebhookOut,
           summary="A webhook with its delivery counts (never its secret)")
    def get_webhook(self, call, id):
        return self._rpc("webhooks", "get", id)

    @route("PATCH", "/v1/webhooks/{id}", roles=MANAGERS, body=WebhookPatch, response=WebhookOut,
           summary="Change a webhook's URL, event types or description; `active: true` enables it again")
    def update_webhook(self, call, id):
        return self._rpc("webhooks", "update", id, call.body)

    @route("DELETE", "/v1/webhooks/{id}", roles=MANAGERS, response=WebhookOut,
           summary="Delete a webhook with its delivery log; the answer is the webhook as it was")
    def delete_webhook(self, call, id):
        return self._rpc("webhooks", "delete", id)

    @route("POST", "/v1/webhooks/{id}/ping", roles=MANAGERS, response=WebhookDeliveryOut, status=202,
           location="/v1/webhooks/{id}/deliveries/{delivery_id}", retry_after=5,
           summary="Send the webhook a `webhook_ping` event; its delivery shows in the log")
    def ping_webhook(self, call, id):
        delivery = self._rpc("webhooks", "ping", id)
        location = f"/v1/webhooks/{id}/deliveries/{delivery['id']}"
        return json_response(delivery, status=202, headers={"Location": location})

    @route("GET", "/v1/webhooks/{id}/deliveries", roles=(), query=DeliveryQuery, response=WebhookDeliveryPage,
           operation_id="listWebhookDeliveries",
           summary="The webhook's delivery log, newest first: status, attempts, last response code and latency")
    def webhook_deliveries(self, call, id):
        q = call.query
        return self._rpc("webhooks", "deliveries", id, q.get("status"), q["limit"], q.get("cursor"))

    @route("GET", "/v1/webhooks/{id}/deliveries/{delivery_id}", roles=(), response=WebhookDeliveryDetail,
           operation_id="getWebhookDelivery",
           summary="One delivery with its event and every attempt")
    def webhook_delivery(self, call, id, delivery_id):
        return self._rpc("webhooks", "delivery", id, delivery_id)

    @route("POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", roles=MANAGERS, response=WebhookDeliveryOut,
           status=202, location="/v1/webhooks/{id}/deliveries/{delivery_id}", retry_after=5,
           summary="Send a delivery again, with a fresh retry window")
    def redeliver_webhook(self, call, id, delivery_id):
        return self._rpc("webhooks", "redeliver", id, delivery_id)
