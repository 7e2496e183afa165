"""Scale-out on one machine: three `fspd serve` replicas behind one round-robin fspd.Client. FspLoss (with
gradients) and TeacherFsp calls are spread over all three; one replica is killed (SIGKILL) while calls are in
flight; every call still succeeds, retried on the others, and every result equals a single server's, bit for
bit (the kernels are deterministic on one machine). Also: which failures each kind of call retries."""
from __future__ import annotations

import re
import socket
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List

import grpc
import numpy as np
import pytest

import fspd
from fspd import errors
from conftest import Server

CALLERS = 6          # concurrent callers while a replica dies
CALLS_EACH = 8       # calls per caller in that phase
TEACHER = dict(depth=8, input_shape=[16, 16, 3], seed=7, model_id="teacher")


@pytest.fixture(scope="module")
def replicas() -> Iterator[List[Server]]:
    """Three servers, started side by side, each holding the same seeded teacher."""
    with ThreadPoolExecutor(3) as ex:
        futures = [ex.submit(Server) for _ in range(3)]
    servers = [f.result() for f in futures if f.exception() is None]
    try:
        for f in futures:
            f.result()  # re-raises a failed start, after the started ones are known (and stopped below)
        for s in servers:
            with fspd.Client(s.address) as c:  # models live per server: create the teacher on each
                c.create_resnet(**TEACHER)
        yield servers
    finally:
        for s in servers:
            s.stop()


def handled(server: Server, methods=("FspLoss", "TeacherFsp")) -> int:
    """Calls of `methods` the server answered OK, from its Prometheus /metrics."""
    text = urllib.request.urlopen(f"http://{server.metrics_address}/metrics", timeout=10).read().decode()
    pattern = r'^grpc_server_handled_total\{[^}]*grpc_method="(\w+)",grpc_code="OK"\} (\S+)$'
    return int(sum(float(n) for m, n in re.findall(pattern, text, re.M) if m in methods))


class Attempts(grpc.UnaryUnaryClientInterceptor):
    """Counts attempts (each retry is one) in flight and the codes of those that failed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.failed: Counter = Counter()

    def intercept_unary_unary(self, continuation, details, request):
        with self.lock:
            self.in_flight += 1
        try:
            outcome = continuation(details, request)
            code = outcome.code()
        finally:
            with self.lock:
                self.in_flight -= 1
        if code != grpc.StatusCode.OK:
            with self.lock:
                self.failed[code] += 1
        return outcome


def workload(seed: int = 0):
    """Four FspLoss requests (two student pairs against teacher pairs, gradients back) and two TeacherFsp
    batches (with sample ids, so later calls on a replica come from its cache): (kind, request) pairs."""
    rng = np.random.default_rng(seed)
    maps = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    calls: List[Any] = []
    for _ in range(4):
        student = [(maps(8, 32, 32, 16), maps(8, 32, 32, 32)), (maps(8, 16, 16, 32), maps(8, 8, 8, 64))]
        teacher = [(maps(8, 32, 32, 16), maps(8, 16, 16, 32)), (maps(8, 16, 16, 32), maps(8, 16, 16, 64))]
        calls.append(("fsp_loss", dict(student=student, teacher=teacher, return_gradients=True)))
    for b in range(2):
        ids = [f"batch{b}/{i}" for i in range(8)]
        calls.append(("teacher_fsp", dict(model_id=TEACHER["model_id"], images=maps(8, 16, 16, 3), sample_ids=ids)))
    return calls


def call(client: fspd.Client, kind: str, kwargs: dict):
    return client.fsp_loss(**kwargs) if kind == "fsp_loss" else client.teacher_fsp(**kwargs)


def assert_same(got, want) -> None:
    """Bit-identical: the same loss, pair losses, gradients or matrices."""
    if isinstance(want, fspd.FspLossResult):
        assert got.loss == want.loss and got.pair_losses == want.pair_losses
        assert len(got.gradients) == len(want.gradients)
        for (ga, gb), (wa, wb) in zip(got.gradients, want.gradients):
            assert np.array_equal(ga, wa) and np.array_equal(gb, wb)
    else:
        assert len(got.matrices) == len(want.matrices)
        for g, w in zip(got.matrices, want.matrices):
            assert np.array_equal(g, w)


def test_replicas_hold_identical_teachers(replicas: List[Server]):
    """CreateModel with the same seed gives each replica the same teacher: TeacherFsp agrees bit for bit."""
    _, req = workload(1)[-1]
    req["sample_ids"] = None  # no cache: each replica runs its teacher
    results = []
    for s in replicas:
        with fspd.Client(s.address) as c:
            results.append(c.teacher_fsp(**req))
    for r in results[1:]:
        assert_same(r, results[0])


def test_round_robin_and_a_replica_killed_mid_run(replicas: List[Server]):
    calls = workload()
    with fspd.Client(replicas[0].address, timeout=60) as single:  # the single-server run
        expected = [call(single, kind, kw) for kind, kw in calls]

    attempts = Attempts()
    with fspd.Client([s.address for s in replicas], timeout=60, interceptors=[attempts]) as c:
        c.wait_ready()
        # 1. Round-robin: sequential calls land on every replica.
        before, n = [handled(s) for s in replicas], 3 * len(calls)
        for i in range(n):
            kind, kw = calls[i % len(calls)]
            assert_same(call(c, kind, kw), expected[i % len(calls)])
        served = [handled(s) - b for s, b in zip(replicas, before)]
        assert sum(served) == n and min(served) >= n // 6, f"calls per replica: {served}"
        assert not attempts.failed

        # 2. Concurrent callers. Once a third of the calls are done, replica 1 is frozen (SIGSTOP), so the calls
        #    that land on it stay in flight there, and killed (SIGKILL) when no call has finished for a while:
        #    then every caller still running waits on it, and its calls must be retried on the others.
        before = [handled(s) for s in replicas]
        done, lock, outcomes = [0], threading.Lock(), []

        def caller(k: int) -> None:
            for j in range(CALLS_EACH):
                i = (k + j) % len(calls)
                try:
                    got = call(c, *calls[i])
                except Exception as err:  # noqa: BLE001 — collected and reported below
                    got = err
                with lock:
                    outcomes.append((i, got))
                    done[0] += 1

        threads = [threading.Thread(target=caller, args=(k,)) for k in range(CALLERS)]
        for t in threads:
            t.start()
        while done[0] < CALLERS * CALLS_EACH // 3:
            time.sleep(0.002)
        replicas[1].freeze()
        last, since = -1, time.monotonic()
        while time.monotonic() - since < 0.5:
            if done[0] != last:
                last, since = done[0], time.monotonic()
            time.sleep(0.01)
        stuck = attempts.in_flight
        replicas[1].kill()
        killed_at = done[0]
        for t in threads:
            t.join()

    failures = [(i, o) for i, o in outcomes if isinstance(o, Exception)]
    assert not failures, f"calls failed: {failures[:3]}"
    assert len(outcomes) == CALLERS * CALLS_EACH and killed_at < len(outcomes)
    for i, got in outcomes:
        assert_same(got, expected[i])
    # The kill caught calls on replica 1 (grpcio reports them as UNAVAILABLE), and they were retried.
    assert stuck >= 1 and set(attempts.failed) == {grpc.StatusCode.UNAVAILABLE}, attempts.failed
    assert attempts.failed[grpc.StatusCode.UNAVAILABLE] >= stuck, (stuck, attempts.failed)
    survivors = [handled(replicas[k]) - before[k] for k in (0, 2)]
    assert min(survivors) > 0 and sum(survivors) >= len(outcomes) - killed_at, survivors


# -- which failures are retried ------------------------------------------------------------------------------


class DropAfterRequest:
    """A fake HTTP/2 peer that accepts connections, sends its SETTINGS (so the channel is ready), reads one
    request's HEADERS and then closes the connection: a server dying mid-call, every time."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drop, args=(conn,), daemon=True).start()

    def _drop(self, conn: socket.socket) -> None:
        with conn:
            conn.sendall(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # empty SETTINGS frame
            buf = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                frames, at = buf[24:], 0  # after the client preface
                while at + 9 <= len(frames):
                    length, kind = int.from_bytes(frames[at:at + 3], "big"), frames[at + 3]
                    if kind == 0x1:  # HEADERS: a request arrived; die without answering
                        self.requests += 1
                        return
                    at += 9 + length

    def close(self) -> None:
        self.sock.close()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def test_connection_lost_mid_call_retries_only_idempotent_calls():
    peer = DropAfterRequest()
    a = np.ones((1, 2, 2, 3), np.float32)
    cases = [
        (lambda c: c.fsp_loss([(a, a)], [(a, a)]), 3),                 # computes only: retried
        (lambda c: c.teacher_fsp("t", a), 3),
        (lambda c: c.create_resnet(8, model_id="m"), 1),                # changes state, may have run: not retried
        (lambda c: c.train_step("s", a, [0]), 1),
    ]
    try:
        for run, tries in cases:
            before = peer.requests
            # a channel with its own connections each time: none left over from the previous case
            with fspd.Client(peer.address, retry=fspd.Retry(attempts=3, initial=0.01), timeout=10,
                             options=[("grpc.use_local_subchannel_pool", 1)]) as c:
                with pytest.raises(errors.Unavailable) as e:
                    run(c)
            assert peer.requests - before == tries, e.value
    finally:
        peer.close()


def test_unreachable_server_retries_every_call():
    """No connection means the request never left: state-changing calls are retried too."""
    attempts = Attempts()
    with fspd.Client(closed_port(), retry=fspd.Retry(attempts=3, initial=0.01), timeout=10, interceptors=[attempts]) as c:
        with pytest.raises(errors.Unavailable):
            c.create_resnet(8)
    assert attempts.failed == Counter({grpc.StatusCode.UNAVAILABLE: 3})


def test_several_addresses_must_be_ip_ports():
    assert fspd.client._target(["127.0.0.1:1", "127.0.0.1:2"]) == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert fspd.client._target(["[::1]:1", "[::1]:2"]) == "ipv6:[::1]:1,[::1]:2"
    assert fspd.client._target(["dns:///fspd:50051"]) == "dns:///fspd:50051"
    with pytest.raises(ValueError, match=r"address\[1\].*dns:///"):
        fspd.Client(["127.0.0.1:1", "localhost:2"])
    with pytest.raises(ValueError, match="all IPv4 or all IPv6"):
        fspd.Client(["127.0.0.1:1", "[::1]:2"])
