"""fspd.SharedMemory against a real server started with --shared-memory-dir: FspLoss through the region
equals the same call with inline bytes (values and gradients, bit for bit), views track the region, and
misuse fails clearly."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import fspd
from fspd import errors
from fspd.v1 import shared_memory_service_pb2 as shm_pb
from fspd.v1 import shared_memory_service_pb2_grpc as shm_grpc

rng = np.random.default_rng(11)


def nchw(n=3, c=4, h=6, w=5):
    return rng.standard_normal((n, c, h, w)).astype(np.float32)


def regions(client: fspd.Client) -> list:
    stub = shm_grpc.SharedMemoryServiceStub(client.channel)
    return [r.name for r in stub.ListSharedMemory(shm_pb.ListSharedMemoryRequest()).regions]


def test_fsp_loss_through_shared_memory_equals_inline(shm_server):
    client, directory = shm_server
    student = [(nchw(c=4), nchw(c=6)), (nchw(c=3, h=8, w=8), nchw(c=5, h=4, w=4))]  # the second pair is pooled
    teacher = [(nchw(c=4), nchw(c=6)), (nchw(c=3, h=8, w=8), nchw(c=5, h=4, w=4))]
    inline = client.fsp_loss(student, teacher, layout="NCHW", weights=[1.0, 0.25])
    with fspd.SharedMemory(client, directory, "pytest-a", 4 << 20) as shm:
        assert shm.region.zero_copy in (True, False) and shm.region.byte_size == 4 << 20
        assert "pytest-a" in regions(client)
        via = shm.fsp_loss(student, teacher, layout="NCHW", weights=[1.0, 0.25])
        assert via.loss == inline.loss and via.pair_losses == inline.pair_losses
        for (ga, gb), (ia, ib) in zip(via.gradients, inline.gradients):
            np.testing.assert_array_equal(ga, ia)
            np.testing.assert_array_equal(gb, ib)
        # Teacher matrices from the region too; float64 maps go as float32 like inline ones.
        matrices = client.compute_fsp(teacher, layout="NCHW")
        by_matrices = shm.fsp_loss([(a.astype(np.float64), b) for a, b in student], teacher_matrices=matrices, layout="NCHW")
        assert by_matrices.loss == client.fsp_loss(student, teacher_matrices=matrices, layout="NCHW").loss
    assert "pytest-a" not in regions(client), "closed regions are unregistered"
    assert not os.path.exists(os.path.join(directory, "pytest-a")), "and their file deleted"


def test_views_follow_the_region_copies_do_not(shm_server):
    client, directory = shm_server
    a, b = nchw(), nchw(c=2)
    t = client.compute_fsp([(nchw(), nchw(c=2))], layout="NCHW")
    with fspd.SharedMemory(client, directory, "pytest-b", 1 << 20) as shm:
        copied = shm.fsp_loss([(a, b)], teacher_matrices=t, layout="NCHW").gradients[0][0]
        viewed = shm.fsp_loss([(a, b)], teacher_matrices=t, layout="NCHW", copy=False).gradients[0][0]
        np.testing.assert_array_equal(viewed, copied)
        shm.fsp_loss([(2 * a, b)], teacher_matrices=t, layout="NCHW", copy=False)
        assert not np.array_equal(viewed, copied), "a view shows the next call's gradients"
        del viewed


def test_errors(shm_server, server, tmp_path):
    client, directory = shm_server
    with fspd.SharedMemory(client, directory, "pytest-c", 4096) as shm:
        with pytest.raises(ValueError, match=r"shared memory 'pytest-c': \d+ more bytes at offset \d+ exceed its 4096 bytes"):
            shm.fsp_loss([(nchw(), nchw())], teacher_matrices=[np.zeros((3, 4, 4), np.float32)], layout="NCHW")
        with pytest.raises(FileExistsError, match="region 'pytest-c' registered on file 'pytest-c'"):
            fspd.SharedMemory(client, str(tmp_path), "pytest-c", 64)  # the name is taken, whatever the directory
        assert not os.path.exists(tmp_path / "pytest-c")
    leftover = tmp_path / "pytest-e"
    leftover.write_bytes(b"x" * 100)
    with fspd.Client(server, timeout=30) as plain:
        for name in ("pytest-d", "pytest-e"):
            with pytest.raises(errors.FailedPrecondition, match="--shared-memory-dir"):
                fspd.SharedMemory(plain, str(tmp_path), name, 64)
    # registering failed: the file it created is deleted, the leftover it truncated stays
    assert not os.path.exists(tmp_path / "pytest-d") and leftover.stat().st_size == 64


def test_a_name_or_file_in_use_is_refused_and_left_alone(shm_server):
    """A second SharedMemory on a registered region's name, or on the file another region uses, raises
    FileExistsError before touching the file: the live region keeps its size and bytes. A leftover file that
    no region uses (a crashed process's) is taken over."""
    client, directory = shm_server
    stub = shm_grpc.SharedMemoryServiceStub(client.channel)
    with fspd.SharedMemory(client, directory, "pytest-live", 1 << 16) as live:
        data = live.put(np.arange(16, dtype=np.float32))
        for size in (4096, 1 << 16):
            with pytest.raises(FileExistsError, match="region 'pytest-live' registered on file 'pytest-live'"):
                fspd.SharedMemory(client, directory, "pytest-live", size)
        assert os.path.getsize(live.path) == 1 << 16 and "pytest-live" in regions(client)
        np.testing.assert_array_equal(live.view(data), np.arange(16, dtype=np.float32))

    # a region named otherwise on the file "pytest-file"
    path = os.path.join(directory, "pytest-file")
    with open(path, "wb") as f:
        f.write(b"y" * 256)
    stub.RegisterSharedMemory(shm_pb.RegisterSharedMemoryRequest(name="pytest-alias", path="pytest-file", byte_size=256))
    try:
        with pytest.raises(FileExistsError, match="region 'pytest-alias' registered on file 'pytest-file'"):
            fspd.SharedMemory(client, directory, "pytest-file", 128)
        with open(path, "rb") as f:
            assert f.read() == b"y" * 256
    finally:
        stub.UnregisterSharedMemory(shm_pb.UnregisterSharedMemoryRequest(name="pytest-alias"))
    # now a leftover: reused, truncated to the new size and zeroed
    with fspd.SharedMemory(client, directory, "pytest-file", 128) as reused:
        assert os.path.getsize(path) == 128 and bytes(reused._map[:8]) == bytes(8)
    assert not os.path.exists(path)


def test_bad_sizes_and_failed_maps_leave_no_file(shm_server, monkeypatch):
    client, directory = shm_server
    for bad in (0, -1, 1.5, True, "8"):
        with pytest.raises(ValueError, match="byte_size: expected an integer >= 1"):
            fspd.SharedMemory(client, directory, "pytest-size", bad)
        assert not os.path.exists(os.path.join(directory, "pytest-size"))

    def no_memory(*args):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(fspd.shared_memory.mmap, "mmap", no_memory)
    with pytest.raises(OSError, match="Cannot allocate memory"):
        fspd.SharedMemory(client, directory, "pytest-size", 4096)
    assert not os.path.exists(os.path.join(directory, "pytest-size"))


def test_close_waits_for_a_call_in_flight(shm_server, monkeypatch):
    """close() takes the region's turn, so a call on it from another thread (FSPLoss's prefetch) ends before
    the region is unregistered."""
    client, directory = shm_server
    a, b = nchw(), nchw(c=2)
    t = client.compute_fsp([(a, b)], layout="NCHW")
    want = client.fsp_loss([(a, b)], teacher_matrices=t, layout="NCHW").loss
    started, release = threading.Event(), threading.Event()
    unary = client._unary

    def held_fsp_loss(method, *args):
        if method == "FspLoss":  # the call is in flight until released
            started.set()
            assert release.wait(60)
        return unary(method, *args)

    monkeypatch.setattr(client, "_unary", held_fsp_loss)
    shm = fspd.SharedMemory(client, directory, "pytest-inflight", 1 << 20)
    result = []
    call = threading.Thread(target=lambda: result.append(shm.fsp_loss([(a, b)], teacher_matrices=t, layout="NCHW").loss))
    call.start()
    closer = threading.Thread(target=shm.close)
    try:
        assert started.wait(60)
        closer.start()
        closer.join(0.5)
        assert closer.is_alive() and "pytest-inflight" in regions(client), "close waits for the call"
    finally:
        release.set()
        call.join(60)
        shm.close()
    assert result == [want] and "pytest-inflight" not in regions(client)


def test_torch_fsp_loss_through_shared_memory(shm_server):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch; .ci/run installs it)")
    from fspd.torch import FSPLoss

    client, directory = shm_server
    maps = [torch.tensor(nchw(c=c), requires_grad=True) for c in (4, 6)]
    matrices = client.compute_fsp([(nchw(c=4), nchw(c=6))], layout="NCHW")
    # compute="server": the maps go to FspLoss (with teacher matrices the loss would otherwise be computed here)
    socket_loss = FSPLoss(client, compute="server")([(maps[0], maps[1])], teacher_matrices=matrices)
    socket_loss.backward()
    socket_grads = [m.grad.clone() for m in maps]
    for m in maps:
        m.grad = None
    with fspd.SharedMemory(client, directory, "pytest-torch", 1 << 20) as shm:
        shm_loss = FSPLoss(client, shared_memory=shm, compute="server")([(maps[0], maps[1])], teacher_matrices=matrices)
        shm_loss.backward()
    assert shm_loss.item() == socket_loss.item()
    for m, g in zip(maps, socket_grads):
        assert torch.equal(m.grad, g)


@pytest.mark.torch
def test_teacher_matrices_through_shared_memory_equal_the_socket_path(shm_server):
    """TeacherFsp's matrices_to from the Python client: fetch_teacher_matrices and FSPLoss with a region give
    bit for bit what the socket gives, in every wire dtype, with ids alone and with images, while the
    response carries no matrix bytes."""
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    import grpc

    import fspd.torch as ft

    client, directory = shm_server
    teacher = client.create_resnet(8, input_shape=[8, 8, 3], seed=4, model_id="shm-teacher-py")
    images = torch.randn(5, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    ids = [f"shm-{i}" for i in range(5)]
    try:
        with fspd.SharedMemory(client, directory, "pytest-t", 1 << 20) as shm:
            for dtype in ("float32", "float16", "bfloat16"):
                want, _ = ft.fetch_teacher_matrices(client, ft.TeacherRef(teacher.model_id, images), matrices_dtype=dtype)  # no ids: not cached
                fresh = [f"{dtype}-{i}" for i in ids]
                # the images with new ids (the teacher runs, its rows go into the region), then the ids alone
                for r, server_hits in ((ft.TeacherRef(teacher.model_id, images, fresh), 0), (ft.TeacherRef(teacher.model_id, None, fresh), 5)):
                    got, hits = ft.fetch_teacher_matrices(client, r, matrices_dtype=dtype, shared_memory=shm)
                    assert hits == server_hits
                    for g, w in zip(got, want):
                        assert g.dtype == w.dtype and torch.equal(g, w)
            # The same through FSPLoss (with a prefetch), the responses without matrix bytes.
            sizes = []

            class Sizes(grpc.UnaryUnaryClientInterceptor):
                def intercept_unary_unary(self, continuation, details, request):
                    out = continuation(details, request)
                    if details.method.endswith("/TeacherFsp"):
                        sizes.append(out.result().ByteSize())
                    return out

            with fspd.Client(client.address, timeout=120, interceptors=[Sizes()]) as counted:
                shm_counted = fspd.SharedMemory(counted, directory, "pytest-u", 1 << 20)
                try:
                    gen = torch.Generator().manual_seed(3)
                    taps = [tuple(t.shape) for t in teacher.taps]
                    student = []
                    for p in teacher.pairs:
                        (h1, w1, c1), (h2, w2, c2) = taps[p.first], taps[p.second]
                        student.append((torch.randn(5, c1, h1, w1, generator=gen), torch.randn(5, c2, h2, w2, generator=gen)))
                    plain = ft.FSPLoss(client, teacher_model_id=teacher.model_id)(student, images=images, sample_ids=ids).item()  # caches ids
                    via = ft.FSPLoss(counted, teacher_model_id=teacher.model_id, shared_memory=shm_counted)
                    assert via(student, sample_ids=ids).item() == plain
                    via.prefetch(None, ids)
                    assert via(student, sample_ids=ids).item() == plain
                    via.close()
                finally:
                    shm_counted.close()
            matrix_bytes = 5 * sum(taps[p.first][2] * taps[p.second][2] for p in teacher.pairs) * 4
            assert len(sizes) == 2 and max(sizes) < 512 < matrix_bytes, (sizes, matrix_bytes)
    finally:
        client.delete_model(teacher.model_id)
