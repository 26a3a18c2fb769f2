"""The v1 routes, one mixin per area; `gateway.service.GatewayService` composes them."""
