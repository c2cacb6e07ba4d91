"""deploy/nginx/ocop-trace.conf as shipped: `nginx -t` accepts it, and a real nginx in front of
`traceapp serve` terminates TLS, redirects plain HTTP, caches ledger tiles, and passes each
client's address (so each has its own rate-limit budget)."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support.serving import free_port, serving

from traceapp.verification.ratelimit import DEFAULT_LIMITS

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "ocop-trace.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DOMAIN = "truyxuat.example.gov.vn"


def _require_nginx() -> None:
    if not Path(NGINX).exists():
        message = "nginx is not installed (.ci/system-packages installs it)"
        if os.environ.get("TRACEAPP_TEST_REQUIRE_NGINX") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(DOMAIN), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "fullchain.pem", directory / "privkey.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _config(tmp: Path, upstream: str, http_port: int, https_port: int) -> Path:
    """The shipped file with only its machine-specific paths and ports swapped, in a minimal
    nginx.conf (as Debian's includes sites-enabled/ in http {})."""
    cert, key = _certificate(tmp)
    swaps = {
        "127.0.0.1:8000": upstream,
        f"/etc/letsencrypt/live/{DOMAIN}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{DOMAIN}/privkey.pem": str(key),
        "/var/cache/nginx/ocop-trace": str(tmp / "cache"),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:80;": "",
        "listen [::]:443 ssl http2;": "",
    }
    text = CONF.read_text()
    for old, new in swaps.items():
        assert text.count(old) == 1, old  # the shipped file still has what the test swaps
        text = text.replace(old, new)
    (tmp / "ocop-trace.conf").write_text(text)
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    main = tmp / "nginx.conf"
    main.write_text(
        f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\nevents {{}}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    access_log {tmp / 'access.log'};\n"
        f"{temp}\n    uwsgi_temp_path {tmp / 'uwsgi'};\n    scgi_temp_path {tmp / 'scgi'};\n"
        f"    include {tmp / 'ocop-trace.conf'};\n}}\n"
    )
    return main


def test_nginx_accepts_the_shipped_configuration(tmp_path: Path) -> None:
    _require_nginx()
    main = _config(tmp_path, "127.0.0.1:8000", free_port(), free_port())
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.fixture
def nginx(tmp_path: Path, app_config: dict[str, Any]) -> Iterator[tuple[int, int]]:
    _require_nginx()
    with serving(app_config, tmp_path / "serve.log", TRUSTED_PROXIES="1") as base:
        ports = free_port(), free_port()
        main = _config(tmp_path, base.removeprefix("http://"), *ports)
        process = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-c", str(main), "-g", "daemon off; master_process off;"]
        )
        try:
            for _ in range(100):
                try:
                    http.client.HTTPConnection("127.0.0.1", ports[0], timeout=1).connect()
                    break
                except OSError:
                    time.sleep(0.05)
            yield ports
        finally:
            process.terminate()
            process.wait(timeout=10)


def _https(port: int, cafile: Path, source: str = "127.0.0.1") -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(cafile))
    return http.client.HTTPSConnection(
        "127.0.0.1", port, context=context, source_address=(source, 0), timeout=10
    )


def _get(conn: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    conn.request("GET", path, headers={"Host": DOMAIN})
    response = conn.getresponse()
    response.read()
    return response


@pytest.mark.parametrize("database_template", ["sqlite"], indirect=True)
def test_through_nginx(nginx: tuple[int, int], tmp_path: Path) -> None:
    http_port, https_port = nginx
    cafile = tmp_path / "fullchain.pem"

    redirect = _get(http.client.HTTPConnection("127.0.0.1", http_port, timeout=10), "/ledger/vkey")
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"https://{DOMAIN}/ledger/vkey"

    conn = _https(https_port, cafile)
    health = _get(conn, "/healthz")
    assert health.status == 200
    assert health.headers["Strict-Transport-Security"] == "max-age=63072000"

    # The genesis entry makes a one-entry tree: its partial level-0 tile, cached after one fetch.
    first, second = _get(conn, "/ledger/tile/0/000.p/1"), _get(conn, "/ledger/tile/0/000.p/1")
    assert (first.status, second.status) == (200, 200)
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.headers["Strict-Transport-Security"] == "max-age=63072000"
    # Static files too, although the app asks for revalidation (no-cache).
    styles = [_get(conn, "/static/story.css") for _ in range(2)]
    assert [r.headers["X-Cache-Status"] for r in styles] == ["MISS", "HIT"]

    # Every connection reaches the app from nginx; X-Forwarded-For tells the clients apart.
    pages = DEFAULT_LIMITS["page"].requests
    one = _https(https_port, cafile, source="127.0.0.2")
    statuses = [_get(one, "/?lang=en").status for _ in range(pages + 1)]
    if statuses[-1] == 200:  # the clock's minute turned meanwhile: the window started again
        statuses = [_get(one, "/?lang=en").status for _ in range(pages + 1)]
    assert statuses[-1] == 429 and statuses.count(200) >= 1
    assert _get(_https(https_port, cafile, source="127.0.0.3"), "/?lang=en").status == 200
