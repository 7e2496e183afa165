package fspd_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math"
	"math/big"
	mrand "math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	fspd "github.com/fspd/fspd/clients/go"
	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
	"github.com/fspd/fspd/clients/go/internal/testserver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

var address string

func TestMain(m *testing.M) {
	address = os.Getenv("FSPD_TEST_ADDRESS")
	var srv *testserver.Server
	if address == "" {
		var err error
		if srv, err = testserver.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		address = srv.Address
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

func dial(t *testing.T, opts ...fspd.Option) *fspd.Client {
	t.Helper()
	c, err := fspd.Dial(context.Background(), address, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// skipIfUnimplemented marks a test skipped while the server answers UNIMPLEMENTED (being built).
func skipIfUnimplemented(t *testing.T, err error) {
	t.Helper()
	if fspd.Code(err) == codes.Unimplemented {
		t.Skipf("server answers UNIMPLEMENTED: %v", err)
	}
}

func randn(r *mrand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// fsp is the float64 FSP matrix of NHWC maps with equal h×w: [b][c1][c2].
func fsp(a, b []float32, n, hw, c1, c2 int) []float64 {
	g := make([]float64, n*c1*c2)
	for s := 0; s < n; s++ {
		for x := 0; x < hw; x++ {
			for i := 0; i < c1; i++ {
				ai := float64(a[(s*hw+x)*c1+i])
				for j := 0; j < c2; j++ {
					g[(s*c1+i)*c2+j] += ai * float64(b[(s*hw+x)*c2+j])
				}
			}
		}
	}
	for i := range g {
		g[i] /= float64(hw)
	}
	return g
}

func TestComputeFspAndLoss(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	r := mrand.New(mrand.NewSource(1))
	const n, h, w, c1, c2 = 2, 4, 3, 5, 6
	shape1, shape2 := []int64{n, h, w, c1}, []int64{n, h, w, c2}
	sa, sb, ta, tb := randn(r, n*h*w*c1), randn(r, n*h*w*c2), randn(r, n*h*w*c1), randn(r, n*h*w*c2)
	nhwc := fspdv1.Layout_LAYOUT_NHWC

	res, err := c.FSP.ComputeFsp(ctx, &fspdv1.ComputeFspRequest{Pairs: []*fspdv1.FeaturePair{fspd.Pair(nhwc, fspd.Float32Tensor(shape1, sa), fspd.Float32Tensor(shape2, sb))}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fspd.Float32s(res.GetMatrices()[0])
	if err != nil {
		t.Fatal(err)
	}
	want := fsp(sa, sb, n, h*w, c1, c2)
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
			t.Fatalf("G[%d] = %g, want %g", i, got[i], want[i])
		}
	}

	loss, err := c.FSP.FspLoss(ctx, &fspdv1.FspLossRequest{
		Student:         []*fspdv1.FeaturePair{fspd.Pair(nhwc, fspd.Float32Tensor(shape1, sa), fspd.Float32Tensor(shape2, sb))},
		Teacher:         []*fspdv1.FeaturePair{fspd.Pair(nhwc, fspd.Float32Tensor(shape1, ta), fspd.Float32Tensor(shape2, tb))},
		ReturnGradients: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	gt := fsp(ta, tb, n, h*w, c1, c2)
	var expected float64
	for i := range want {
		expected += (want[i] - gt[i]) * (want[i] - gt[i])
	}
	expected /= n // paper reduction: sum over entries, mean over samples
	if math.Abs(loss.GetLoss()-expected) > 1e-5*expected {
		t.Fatalf("loss %g, want %g", loss.GetLoss(), expected)
	}
	// dL/dF1[s,x,i] = 2/n · Σ_j (G-Gt)[s,i,j] · F2[s,x,j] / hw
	ga, err := fspd.Float32s(loss.GetStudentGradients()[0].GetFirst())
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < n; s++ {
		for x := 0; x < h*w; x++ {
			for i := 0; i < c1; i++ {
				var d float64
				for j := 0; j < c2; j++ {
					d += (want[(s*c1+i)*c2+j] - gt[(s*c1+i)*c2+j]) * float64(sb[(s*h*w+x)*c2+j])
				}
				d *= 2.0 / n / float64(h*w)
				if g := float64(ga[(s*h*w+x)*c1+i]); math.Abs(g-d) > 1e-4*(1+math.Abs(d)) {
					t.Fatalf("dL/dfirst[%d,%d,%d] = %g, want %g", s, x, i, g, d)
				}
			}
		}
	}
}

func TestInvalidArgumentNamesTheField(t *testing.T) {
	c := dial(t)
	a := fspd.Float32Tensor([]int64{2, 2, 2, 3}, make([]float32, 24))
	bad := fspd.Float32Tensor([]int64{1, 2, 2, 3}, make([]float32, 12))
	_, err := c.FSP.FspLoss(context.Background(), &fspdv1.FspLossRequest{
		Student: []*fspdv1.FeaturePair{fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, a, bad)},
		Teacher: []*fspdv1.FeaturePair{fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, a, a)},
	})
	if fspd.Code(err) != codes.InvalidArgument {
		t.Fatalf("code %v (%v), want InvalidArgument", fspd.Code(err), err)
	}
	if f := fspd.Field(err); len(f) < 10 || f[:10] != "student[0]" {
		t.Fatalf("field %q of %v, want student[0]…", f, err)
	}
	if d := fspd.Details(err); d.Reason != "INVALID_FIELD" || d.Domain != fspd.Domain || d.Retry {
		t.Fatalf("details %+v of %v, want reason INVALID_FIELD in domain fspd, no retry", d, err)
	}
}

func TestErrorDetails(t *testing.T) {
	c := dial(t)
	huge := strings.Repeat("m", 100*1024)
	_, err := c.Models.GetModel(context.Background(), &fspdv1.GetModelRequest{ModelId: huge})
	if fspd.Code(err) != codes.NotFound {
		t.Fatalf("code %v (%v), want NotFound", fspd.Code(err), err)
	}
	d := fspd.Details(err)
	if d.Reason != "NOT_FOUND" || d.Metadata["resource"] != "model" || len(d.Metadata["id"]) > 200 {
		t.Fatalf("details %+v, want reason NOT_FOUND, resource model, the id cut short", d)
	}
	// The 100 KiB id comes back as a quote of its start and its length.
	if msg := status.Convert(err).Message(); len(msg) > 200 || !strings.Contains(msg, "(102400 chars)") {
		t.Fatalf("message of %d bytes: %.200s", len(msg), msg)
	}
	if _, err := c.Models.CreateModel(context.Background(), &fspdv1.CreateModelRequest{ModelId: huge, Architecture: &fspdv1.CreateModelRequest_Resnet{Resnet: &fspdv1.ResNetSpec{Depth: 8}}}); fspd.Field(err) != "model_id" {
		t.Fatalf("field %q of %v, want model_id", fspd.Field(err), err)
	}
}

func TestDeadline(t *testing.T) {
	c := dial(t)
	big := fspd.Float32Tensor([]int64{32, 32, 32, 64}, make([]float32, 32*32*32*64))
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := c.FSP.FspLoss(ctx, &fspdv1.FspLossRequest{
		Student: []*fspdv1.FeaturePair{fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, big, big)},
		Teacher: []*fspdv1.FeaturePair{fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, big, big)},
	})
	if fspd.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("code %v (%v), want DeadlineExceeded", fspd.Code(err), err)
	}
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRetriesOnUnavailable(t *testing.T) {
	var calls int32
	count := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		atomic.AddInt32(&calls, 1)
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	// the counter sits after the retry interceptor, so it sees every attempt
	c, err := fspd.Dial(context.Background(), closedPort(t), fspd.WithRetry(fspd.RetryPolicy{Attempts: 4, Initial: 20 * time.Millisecond, Multiplier: 2, Max: time.Second}), fspd.WithDialOptions(count))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.FSP.ComputeFsp(context.Background(), &fspdv1.ComputeFspRequest{})
	if fspd.Code(err) != codes.Unavailable {
		t.Fatalf("code %v (%v), want Unavailable", fspd.Code(err), err)
	}
	if n := atomic.LoadInt32(&calls); n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
	if d := time.Since(start); d < 35*time.Millisecond { // pauses 20+40+80 ms, jitter >= 0.5
		t.Fatalf("retried within %v: no backoff", d)
	}
}

func TestNoRetryOnInvalidArgument(t *testing.T) {
	var calls int32
	count := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		atomic.AddInt32(&calls, 1)
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	c := dial(t, fspd.WithDialOptions(count))
	_, err := c.FSP.ComputeFsp(context.Background(), &fspdv1.ComputeFspRequest{})
	if fspd.Code(err) != codes.InvalidArgument || atomic.LoadInt32(&calls) != 1 {
		t.Fatalf("code %v after %d calls, want InvalidArgument after 1", fspd.Code(err), calls)
	}
}

func selfSigned(t *testing.T) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSAndToken(t *testing.T) {
	if os.Getenv("FSPD_TEST_ADDRESS") != "" {
		t.Skip("FSPD_TEST_ADDRESS set: not starting servers")
	}
	cert, key := selfSigned(t)
	srv, err := testserver.Start("--tls-cert", cert, "--tls-key", key, "--token", "sesame")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	a := fspd.Float32Tensor([]int64{1, 2, 2, 3}, make([]float32, 12))
	req := &fspdv1.ComputeFspRequest{Pairs: []*fspdv1.FeaturePair{fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, a, a)}}
	try := func(opts ...fspd.Option) error {
		c, err := fspd.Dial(context.Background(), srv.Address, append(opts, fspd.WithRetry(fspd.RetryPolicy{Attempts: 1}), fspd.WithTimeout(10*time.Second))...)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.FSP.ComputeFsp(context.Background(), req)
		return err
	}
	if err := try(fspd.WithTLSFiles(cert, "", ""), fspd.WithToken("sesame")); err != nil {
		t.Fatalf("TLS + token: %v", err)
	}
	if err := try(fspd.WithTLSFiles(cert, "", ""), fspd.WithToken("wrong")); fspd.Code(err) != codes.Unauthenticated {
		t.Fatalf("wrong token: %v, want Unauthenticated", err)
	}
	if err := try(fspd.WithTLSFiles(cert, "", "")); fspd.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token: %v, want Unauthenticated", err)
	}
	// several replicas (here one twice): each is checked against its own host, 127.0.0.1
	c, err := fspd.DialReplicas(context.Background(), []string{srv.Address, srv.Address}, fspd.WithTLSFiles(cert, "", ""), fspd.WithToken("sesame"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.FSP.ComputeFsp(context.Background(), req); err != nil {
		t.Fatalf("TLS + token, DialReplicas: %v", err)
	}
	pool := x509.NewCertPool() // a CA that did not sign the server's certificate
	if err := try(fspd.WithTLS(&tls.Config{RootCAs: pool}), fspd.WithToken("sesame")); fspd.Code(err) != codes.Unavailable {
		t.Fatalf("untrusted certificate: %v, want Unavailable", err)
	}
}

func TestTrainingSession(t *testing.T) {
	c := dial(t, fspd.WithTimeout(2*time.Minute))
	ctx := context.Background()
	mk := func(id string, depth uint32) *fspdv1.Model {
		res, err := c.Models.CreateModel(ctx, &fspdv1.CreateModelRequest{ModelId: id, Architecture: &fspdv1.CreateModelRequest_Resnet{
			Resnet: &fspdv1.ResNetSpec{Depth: depth, InputShape: []int64{28, 28, 1}, Seed: proto.Uint32(depth)}}})
		skipIfUnimplemented(t, err)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = c.Models.DeleteModel(context.Background(), &fspdv1.DeleteModelRequest{ModelId: id}) })
		return res.GetModel()
	}
	teacher, student := mk("go-teacher", 14), mk("go-student", 8)
	s, err := c.Training.CreateSession(ctx, &fspdv1.CreateSessionRequest{SessionId: "go-session", Spec: &fspdv1.SessionSpec{
		StudentModelId: student.GetModelId(), TeacherModelId: teacher.GetModelId(), Seed: proto.Uint32(0)}})
	skipIfUnimplemented(t, err)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Training.DeleteSession(context.Background(), &fspdv1.DeleteSessionRequest{SessionId: "go-session"})
	})
	if s.GetSession().GetStage() != fspdv1.Stage_STAGE_FSP {
		t.Fatalf("stage %v, want FSP", s.GetSession().GetStage())
	}

	// a Train stream of client batches
	r := mrand.New(mrand.NewSource(3))
	var batches []*fspdv1.Batch
	for i := 0; i < 3; i++ {
		labels := make([]int32, 4)
		for j := range labels {
			labels[j] = int32(r.Intn(10))
		}
		batches = append(batches, &fspdv1.Batch{Images: fspd.Float32Tensor([]int64{4, 28, 28, 1}, randn(r, 4*28*28)), Labels: fspd.Int32Tensor([]int64{4}, labels)})
	}
	var seen int
	results, err := c.Train(ctx, "go-session", batches, func(*fspdv1.StepResult) { seen++ })
	skipIfUnimplemented(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || seen != 3 || results[2].GetStep() != 3 || results[0].GetStage() != fspdv1.Stage_STAGE_FSP {
		t.Fatalf("Train results %v", results)
	}

	// the server's loop over its MNIST
	var progress int
	ev, err := c.Run(ctx, &fspdv1.RunRequest{SessionId: "go-session", Dataset: &fspdv1.DatasetSpec{Name: fspdv1.DatasetName_DATASET_NAME_MNIST},
		Steps: 4, BatchSize: 8, ProgressEvery: 2,
		EvaluateDataset: &fspdv1.DatasetSpec{Name: fspdv1.DatasetName_DATASET_NAME_MNIST, Split: fspdv1.Split_SPLIT_TEST, Limit: 32}},
		func(e *fspdv1.RunResponse) {
			if e.GetProgress() != nil {
				progress++
			}
		})
	skipIfUnimplemented(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if progress < 2 || ev == nil || ev.GetSamples() != 32 {
		t.Fatalf("Run: %d progress messages, evaluation %v", progress, ev)
	}
	if _, err := c.Training.SetStage(ctx, &fspdv1.SetStageRequest{SessionId: "go-session", Stage: fspdv1.Stage_STAGE_CROSS_ENTROPY}); err != nil {
		t.Fatal(err)
	}
	ck, err := c.Training.SaveCheckpoint(ctx, &fspdv1.SaveCheckpointRequest{SessionId: "go-session", CheckpointId: "c1"})
	skipIfUnimplemented(t, err)
	if err != nil || ck.GetCheckpoint().GetStep() != 7 {
		t.Fatalf("SaveCheckpoint: %v %v", ck, err)
	}
	_, err = c.Training.GetSession(ctx, &fspdv1.GetSessionRequest{SessionId: "nope"})
	if fspd.Code(err) != codes.NotFound {
		t.Fatalf("GetSession(nope): %v, want NotFound", err)
	}
}
