"""URLs no well-behaved client sends, which a URL field (a calendar's, a webhook endpoint's)
must answer as bad input on that field, never 500: numbers that only look like an IPv4
address (`0177.0.0.1`, which the resolver reads as 127.0.0.1), CR/LF, broken IPv6 literals,
ports that are no port (out of range, negative, signed, not digits), percent-escapes and NUL
in the host, invisible characters, a label too long for DNS.

Written with http://; a test of an https-only field swaps the scheme (`with_scheme`)."""

ODD_URLS = [
    "http://0177.0.0.1/x",
    "http://0x7f.0.0.1/x",
    "http://2130706433/x",
    "http://127.1/x",
    "http://example.com/x\r\nX-Injected: 1",
    "http://exa\nmple.com/x",
    "http://exa mple.com/x",
    "http://[::1/x",
    "http://[zz::1]/x",
    "http://example.com:99999/x",
    "http://example.com:65536/x",
    "http://example.com:-1/x",
    "http://example.com:+443/x",
    "http://example.com:4_43/x",
    "http://example.com:\u0664\u0664\u0663/x",  # Arabic-Indic digits
    "http://example.com:0/x",
    "http://example.com:port/x",
    "http://localhost:99999/x",
    "http://[::1]:99999/x",
    "http://%00/x",
    "http://example.com%00.evil.test/x",
    "http://ex%41mple.com/x",
    "http://%2e%2e/x",
    "http://exa\u200bmple.com/x",
    "http://" + "a" * 300 + ".com/x",
]


def with_scheme(url: str, scheme: str) -> str:
    return scheme + url[len("http") :]
