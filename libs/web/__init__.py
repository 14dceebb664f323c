"""What every HTML page of the platform shares: the DSFR assets, the Jinja2 environment and
layout, the language choice, CSRF protection, security headers and error pages.

A service with pages builds a :class:`~libs.web.rendering.PageRenderer`, calls
:func:`~libs.web.pages.install_pages` on its app and puts its HTML routes on routers made by
:func:`~libs.web.pages.pages_router` (see docs/adr/0011-server-rendered-dsfr-pages.md).
"""
