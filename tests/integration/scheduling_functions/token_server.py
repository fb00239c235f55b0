"""A local token endpoint, so the functions get credentials the way they do when deployed.

The deployed worker builds ``DefaultAzureCredential()`` (managed identity) and Google's
Application Default Credentials; neither may reach Microsoft Entra or Google here. This
serves both token protocols on 127.0.0.1, and the tests point the real credential code at it:

- Azure App Service / Functions managed identity: ``GET /msi/token?resource=...&api-version=
  2019-08-01`` with the ``X-IDENTITY-HEADER`` secret (``IDENTITY_ENDPOINT``,
  ``IDENTITY_HEADER``), answering ``access_token`` / ``expires_on`` / ``resource``;
- Google: a service-account key file for ``GOOGLE_APPLICATION_CREDENTIALS`` whose clients sign
  their own JWTs; its OAuth ``token_uri`` (``POST /token``) is this server, should anything
  refresh that way.

``requests`` records every call: a test can assert the functions authenticated.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

IDENTITY_HEADER = "local-identity-header-secret"


class TokenServer:
    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                server.requests.append(f"GET {url.path}")
                query = parse_qs(url.query)
                if url.path != "/msi/token" or "resource" not in query:
                    self._reply(404, {"error": "not_found"})
                elif self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                    self._reply(401, {"error": "invalid identity header"})
                else:
                    self._reply(
                        200,
                        {
                            "access_token": "local-azure-token",
                            "expires_on": str(int(time.time()) + 3600),
                            "resource": query["resource"][0],
                            "token_type": "Bearer",
                        },
                    )

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                server.requests.append(f"POST {url.path}")
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path != "/token":
                    self._reply(404, {"error": "not_found"})
                    return
                self._reply(
                    200,
                    {
                        "access_token": "local-google-token",
                        "expires_in": 3600,
                        "token_type": "Bearer",
                    },
                )

            def _reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def msi_endpoint(self) -> str:
        return f"{self.base_url}/msi/token"

    def google_adc_file(self, directory: Path) -> Path:
        """A service-account key file for Application Default Credentials (a key made now).

        Google's clients sign their own JWT with it (``always_use_jwt_access``) and send no
        token request at all; should one refresh through OAuth, ``token_uri`` is this server.
        An ``authorized_user`` file would not do: google-auth ignores its ``token_uri``.
        """
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path = directory / "adc.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "acme-finops",
                    "private_key_id": "local0000000000000000000000000000000000",
                    "private_key": pem,
                    "client_email": "costwarden@acme-finops.iam.gserviceaccount.com",
                    "client_id": "100000000000000000001",
                    "token_uri": f"{self.base_url}/token",
                }
            )
        )
        return path

    @contextmanager
    def running(self) -> Iterator[TokenServer]:
        thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            thread.join()
