"""multipart/related bodies (RFC 2387) streamed part by part, as WADO-RS returns them."""

import uuid
from collections.abc import Iterable, Iterator


def new_boundary() -> str:
    """A boundary that no part's bytes contain in practice (random, 32 hex digits)."""
    return f"pathsentry-{uuid.uuid4().hex}"


def content_type(boundary: str, part_type: str, transfer_syntax: str | None = None) -> str:
    """The response's Content-Type: multipart/related with the parts' type and syntax."""
    syntax = f"; transfer-syntax={transfer_syntax}" if transfer_syntax else ""
    return f'multipart/related; type="{part_type}"{syntax}; boundary={boundary}'


def stream_parts(boundary: str, parts: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """The body: each (part Content-Type, chunks) framed by the boundary, then the close."""
    for part_type, chunks in parts:
        yield f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode()
        yield from chunks
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()
