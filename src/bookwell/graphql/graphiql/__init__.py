"""GraphiQL served by Bookwell itself: pinned npm packages (pins.py) downloaded once and
checked (assets.py), and the page that uses them (page.py). `bookwell graphiql fetch` fills
the cache ahead of time."""

from bookwell.graphql.graphiql.assets import AssetCache, AssetsUnavailable, IntegrityError
from bookwell.graphql.graphiql.page import GraphiQLPage

__all__ = ["AssetCache", "AssetsUnavailable", "GraphiQLPage", "IntegrityError"]
