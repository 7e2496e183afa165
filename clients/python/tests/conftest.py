"""Fixtures: real fspd servers (`node bin/fspd.js serve` from the repository root) on free ports.

FSPD_TEST_ADDRESS=host:port tests against a server that is already running instead (plaintext, no token;
the TLS/token tests then still start their own)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fsp_reference

import fspd  # noqa: E402

REPO = Path(os.environ.get("FSPD_REPO", Path(__file__).resolve().parents[3]))
START_TIMEOUT = float(os.environ.get("FSPD_TEST_START_TIMEOUT", "120"))


class Server:
    """A `fspd serve` child process; ``address`` is where it listens, ``metrics_address`` its /metrics."""

    def __init__(self, *flags: str, env: Optional[dict] = None):
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not on PATH: the client tests need the fspd server (node bin/fspd.js serve)")
        cmd = [node, str(REPO / "bin" / "fspd.js"), "serve", "--address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0",
               "--shutdown-grace", "2", *flags]
        self.log: List[str] = []
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})})
        self.metrics_address = ""
        self.address = self._wait_serving()
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_serving(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.log.append(line)
            if '"serving"' in line:
                serving = json.loads(line)
                self.metrics_address = serving["metrics"]
                return serving["addresses"][0]
        self.stop()
        pytest.fail("fspd serve did not start:\n" + "".join(self.log[-40:]))

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line)

    def freeze(self) -> None:
        """SIGSTOP: the process stops answering but keeps its connections (a hung replica)."""
        self.proc.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, in-flight calls and all (a crashed replica)."""
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Address of a plaintext server without a token."""
    if os.environ.get("FSPD_TEST_ADDRESS"):
        yield os.environ["FSPD_TEST_ADDRESS"]
        return
    s = Server()
    try:
        yield s.address
    finally:
        s.stop()


@pytest.fixture(scope="session")
def client(server: str) -> Iterator[fspd.Client]:
    with fspd.Client(server, timeout=120) as c:
        yield c


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A self-signed certificate for 127.0.0.1 / localhost (openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed: cannot make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return {"cert": str(cert), "key": str(key)}


@pytest.fixture(scope="session")
def secure_server(tls_files: dict) -> Iterator[str]:
    """Address of a TLS server that wants the token 'sesame'."""
    s = Server("--tls-cert", tls_files["cert"], "--tls-key", tls_files["key"], "--token", "sesame")
    try:
        yield s.address
    finally:
        s.stop()


def call_or_xfail(fn, *args, **kwargs):
    """Runs a call; an UNIMPLEMENTED answer marks the test xfail (the server side is still being built)."""
    try:
        return fn(*args, **kwargs)
    except fspd.errors.Unimplemented as err:
        pytest.xfail(f"server answers UNIMPLEMENTED: {err.details}")


@pytest.fixture(scope="session")
def shm_server() -> Iterator[tuple]:
    """(client, directory) of a server started with --shared-memory-dir directory (a tmpfs under /dev/shm)."""
    directory = tempfile.mkdtemp(prefix="fspd-pytest-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    s = Server("--shared-memory-dir", directory)
    try:
        with fspd.Client(s.address, timeout=120) as c:
            yield c, directory
    finally:
        s.stop()
        os.rmdir(directory)
