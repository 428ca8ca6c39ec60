"""Request-bound helpers shared by the blueprints: the public statement and its read model for
this request (reading), HTTP caching and the micro-cache (caching), security headers
(headers), trusted hosts (hosts), guards on ids and redirect targets (guards), login and
authorisation (auth), the request's language (locale), template filters and globals
(templating), form widgets (widgets), domain errors on forms (refusals), and the API's
OpenAPI document (openapi).

It may import everything below the views; services never import it.
"""
