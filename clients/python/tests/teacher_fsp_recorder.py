"""A grpc client interceptor for tests: keeps every TeacherFsp request a client sends."""

from __future__ import annotations


class TeacherFspRecorder:
    """Pass `.interceptor` to the client; `.requests` holds the TeacherFsp requests sent."""

    def __init__(self):
        import grpc

        class Interceptor(grpc.UnaryUnaryClientInterceptor):
            def intercept_unary_unary(inner, continuation, details, request):  # noqa: N805
                if details.method.endswith("/TeacherFsp"):
                    self.requests.append(request)
                return continuation(details, request)

        self.requests = []
        self.interceptor = Interceptor()

    def ids(self):
        """The sample ids of each request sent since the last call, and whether it carried images."""
        out = [(list(r.sample_ids), r.HasField("images")) for r in self.requests]
        self.requests.clear()
        return out
