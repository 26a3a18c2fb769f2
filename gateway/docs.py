"""`/docs`: Swagger UI over `/openapi.json`, its scripts and styles served from the installed `swagger-ui-py`
package (no CDN: the page works where the browser reaches only the gateway)."""
from pathlib import Path

import swagger_ui
from werkzeug.wrappers import Response

from gateway.problems import not_found

STATIC = Path(swagger_ui.__file__).parent / "static"
ASSETS = {  # the files the page loads, and their media types; nothing else of the package is served
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>ecoc gateway API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="stylesheet" href="/docs/assets/index.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
"""

# the page's own script, a file rather than inline so a Content-Security-Policy without 'unsafe-inline' holds
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"
  });
};
"""

CACHE = {"Cache-Control": "public, max-age=86400"}
# scripts only from the gateway; Swagger UI sets inline styles and shows images as data: URLs
POLICY = {"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                     "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"}


def page():
    return Response(PAGE, status=200, mimetype="text/html", headers=POLICY)


def asset(name):
    if name == "init.js":
        return Response(INIT, status=200, mimetype="text/javascript", headers=CACHE)
    media = ASSETS.get(name)
    if media is None:
        raise not_found(f"no documentation asset {name}")
    return Response((STATIC / name).read_bytes(), status=200, mimetype=media, headers=CACHE)
