"""`bookwell schema | graphiql fetch`: the GraphQL schema's SDL and GraphiQL's files."""

import asyncio

import click

from bookwell.core.config import Settings


@click.group()
def graphiql() -> None:
    """GraphiQL's files, served by Bookwell itself at /graphql."""


@graphiql.command(name="fetch")
def graphiql_fetch() -> None:
    """Download the pinned GraphiQL, React and ReactDOM npm tarballs, check their sha512 and
    keep the files the page needs in the cache (BOOKWELL_GRAPHIQL_ASSETS_DIR, default
    <data dir>/graphiql), so /graphql then works without network. Nothing is downloaded
    when they are there already."""
    from bookwell.graphql.graphiql import AssetCache, AssetsUnavailable

    settings = Settings()
    cache = AssetCache(settings.graphiql_assets_path, settings.graphiql_npm_registry)
    try:
        fetched = asyncio.run(cache.fetch())
    except AssetsUnavailable as error:
        raise click.ClickException(str(error)) from None
    for package in cache.packages:
        done = "downloaded" if package in fetched else "already there"
        click.echo(f"{package.name} {package.version}: {done}")
    click.echo(f"GraphiQL's files are in {cache.folder.resolve()}")


@click.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from bookwell.graphql.schema import schema as built

    click.echo(built.as_str())
