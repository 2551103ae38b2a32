"""A TLS front for a plaintext Temporal dev server, as a cluster's frontend would stand: it demands a client
certificate signed by its CA and forwards the decrypted bytes. Certificates come from the `openssl` CLI."""

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

SERVER_NAME = "temporal.test"
OPENSSL = shutil.which("openssl")


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_certificates(directory: Path) -> Certificates:
    """A CA, a server certificate for SERVER_NAME and a client certificate, both signed by it (P-256, one day)."""
    assert OPENSSL is not None
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    _openssl("req", "-x509", *_new_key(ca_key), "-out", ca, "-subj", "/CN=aftersales test CA", "-days", "1",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    server = _signed(directory, "server", ca, ca_key, f"subjectAltName=DNS:{SERVER_NAME}\nextendedKeyUsage=serverAuth")
    client = _signed(directory, "client", ca, ca_key, "extendedKeyUsage=clientAuth")
    return Certificates(ca, *server, *client)


def _signed(directory: Path, name: str, ca: Path, ca_key: Path, extensions: str) -> tuple[Path, Path]:
    cert, key, request, ext = (directory / f"{name}{suffix}" for suffix in (".pem", ".key", ".csr", ".ext"))
    ext.write_text(extensions + "\n")
    _openssl("req", *_new_key(key), "-out", request, "-subj", f"/CN={name}")
    _openssl("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
             "-days", "1", "-extfile", ext)  # fmt: skip
    return cert, key


def _new_key(path: Path) -> list[str | Path]:
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path]


def _openssl(*args: str | Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *map(str, args)], check=True, capture_output=True)


@contextlib.asynccontextmanager
async def running_tls_proxy(upstream: str, certificates: Certificates) -> AsyncIterator[str]:
    """Yields the address of a loopback TLS endpoint (HTTP/2 by ALPN) in front of `upstream` (host:port)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=certificates.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(certificates.server_cert, certificates.server_key)
    context.set_alpn_protocols(["h2"])
    host, _, port = upstream.rpartition(":")
    open_writers: set[asyncio.StreamWriter] = set()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        open_writers.update((writer, up_writer))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in open_writers:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()
