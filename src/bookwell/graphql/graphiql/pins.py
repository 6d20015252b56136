"""The npm packages GraphiQL's page is made of, pinned by exact version and by the registry's
own `dist.integrity` (sha512 of the tarball, `npm view <pkg>@<ver> dist.integrity`), and the
files taken from each with their sha384 (what a browser checks as SRI on the CDN fallback).

GraphiQL 4.1.2 is the newest release with a standalone (UMD) build: 5.x ships only ES modules
for a bundler. Its UMD build takes React and ReactDOM as globals (React 18.3.1, the last
React with UMD builds; 19 has none) and has graphql-ws inside it, so subscriptions need no
further package. To move a version: `npm view <pkg>@<ver> dist.integrity`, then the files'
`openssl dgst -sha384 -binary <file> | base64` from the unpacked tarball.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's dist.integrity: "sha512-<base64>" of the .tgz
    # Path inside the tarball -> "sha384-<base64>" of that file.
    files: dict[str, str]

    @property
    def folder(self) -> str:
        """Its folder in the cache, and its path under /graphiql/."""
        return f"{self.name}@{self.version}"

    def tarball_url(self, registry: str) -> str:
        return f"{registry.rstrip('/')}/{self.name}/-/{self.name}-{self.version}.tgz"


REACT_LICENSE = "sha384-dIN5gxuW3odCH42AKpxql36fRQlrVsjCi4EJgGC2Ty8Ihkcq9cdrChEZpKhSAfks"

REACT = Package(
    name="react",
    version="18.3.1",
    integrity="sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
    files={
        "package/umd/react.production.min.js": (
            "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z"
        ),
        "package/LICENSE": REACT_LICENSE,
    },
)
REACT_DOM = Package(
    name="react-dom",
    version="18.3.1",
    integrity="sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
    files={
        "package/umd/react-dom.production.min.js": (
            "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1"
        ),
        "package/LICENSE": REACT_LICENSE,
    },
)
GRAPHIQL = Package(
    name="graphiql",
    version="4.1.2",
    integrity="sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
    files={
        "package/graphiql.min.js": (
            "sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B"
        ),
        "package/graphiql.min.css": (
            "sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr"
        ),
        "package/LICENSE": (
            "sha384-9JPX1agGTIUB7wtQt2kO3PUO7clmCJp+9e50VMjw1yd8briI77AZnMDBz5VcerBH"
        ),
    },
)

# In the order the page loads them: GraphiQL's UMD build needs the React globals first.
PACKAGES = (REACT, REACT_DOM, GRAPHIQL)
