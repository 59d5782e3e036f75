"""The web app of `sayso serve`: pages and a JSON API over the same core and store."""

from sayso.web.app import create_app

__all__ = ["create_app"]
