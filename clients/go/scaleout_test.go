package fspd_test

// Scale-out on one machine: three `fspd serve` replicas behind one round-robin Client (DialReplicas).
// FspLoss (with gradients) and TeacherFsp calls are spread over all three; one replica is killed while
// calls are in flight; every call still succeeds, retried on the others, and every result equals a
// single server's, bit for bit (the kernels are deterministic on one machine). Also: which failures
// each kind of call retries.

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/ioutil"
	mrand "math/rand"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
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

const (
	callers   = 6 // concurrent callers while a replica dies
	callsEach = 8 // calls per caller in that phase
	teacherID = "teacher"
)

// startReplicas starts n servers side by side, each holding the same seeded teacher.
func startReplicas(t *testing.T, n int) []*testserver.Server {
	t.Helper()
	servers, errs := make([]*testserver.Server, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func(i int) { defer wg.Done(); servers[i], errs[i] = testserver.Start() }(i)
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, s := range servers {
			s.Stop()
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range servers { // models live per server: create the teacher on each
		c := dialAt(t, s.Address)
		_, err := c.Models.CreateModel(context.Background(), &fspdv1.CreateModelRequest{ModelId: teacherID, Architecture: &fspdv1.CreateModelRequest_Resnet{
			Resnet: &fspdv1.ResNetSpec{Depth: 8, InputShape: []int64{16, 16, 3}, Seed: proto.Uint32(7)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return servers
}

func dialAt(t *testing.T, address string, opts ...fspd.Option) *fspd.Client {
	t.Helper()
	c, err := fspd.Dial(context.Background(), address, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var handledRE = regexp.MustCompile(`(?m)^grpc_server_handled_total\{[^}]*grpc_method="(FspLoss|TeacherFsp)",grpc_code="OK"\} (\S+)$`)

// handled is how many FspLoss and TeacherFsp calls the server answered OK, from its /metrics.
func handled(t *testing.T, s *testserver.Server) int {
	t.Helper()
	res, err := http.Get("http://" + s.MetricsAddress + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := ioutil.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range handledRE.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		n += int(v)
	}
	return n
}

// attempts counts attempts (each retry is one) in flight and the codes of those that failed; chained
// after the client's retry interceptor, it sees every attempt.
type attempts struct {
	inFlight int32
	mu       sync.Mutex
	failed   map[codes.Code]int
}

func (a *attempts) intercept(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	atomic.AddInt32(&a.inFlight, 1)
	err := invoker(ctx, method, req, reply, cc, opts...)
	atomic.AddInt32(&a.inFlight, -1)
	if err != nil {
		a.mu.Lock()
		a.failed[status.Code(err)]++
		a.mu.Unlock()
	}
	return err
}

func (a *attempts) failures() map[codes.Code]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[codes.Code]int{}
	for k, v := range a.failed {
		out[k] = v
	}
	return out
}

// workload: four FspLoss requests (two student pairs against teacher pairs, gradients back) and two
// TeacherFsp batches (with sample ids, so later calls on a replica come from its cache).
func workload() []proto.Message {
	r := mrand.New(mrand.NewSource(0))
	maps := func(shape ...int64) *fspdv1.Tensor {
		n := int64(1)
		for _, d := range shape {
			n *= d
		}
		return fspd.Float32Tensor(shape, randn(r, int(n)))
	}
	pair := func(a, b *fspdv1.Tensor) *fspdv1.FeaturePair { return fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, a, b) }
	var calls []proto.Message
	for i := 0; i < 4; i++ {
		calls = append(calls, &fspdv1.FspLossRequest{
			Student:         []*fspdv1.FeaturePair{pair(maps(8, 32, 32, 16), maps(8, 32, 32, 32)), pair(maps(8, 16, 16, 32), maps(8, 8, 8, 64))},
			Teacher:         []*fspdv1.FeaturePair{pair(maps(8, 32, 32, 16), maps(8, 16, 16, 32)), pair(maps(8, 16, 16, 32), maps(8, 16, 16, 64))},
			ReturnGradients: true,
		})
	}
	for b := 0; b < 2; b++ {
		ids := make([]string, 8)
		for i := range ids {
			ids[i] = fmt.Sprintf("batch%d/%d", b, i)
		}
		calls = append(calls, &fspdv1.TeacherFspRequest{ModelId: teacherID, Images: maps(8, 16, 16, 3), SampleIds: ids})
	}
	return calls
}

// call sends one request; TeacherFsp's cache_hits differ by replica, so they are cleared.
func call(c *fspd.Client, req proto.Message) (proto.Message, error) {
	ctx := context.Background()
	switch r := req.(type) {
	case *fspdv1.FspLossRequest:
		return c.FSP.FspLoss(ctx, r)
	case *fspdv1.TeacherFspRequest:
		res, err := c.FSP.TeacherFsp(ctx, r)
		if err != nil {
			return nil, err
		}
		res.CacheHits = 0
		return res, nil
	}
	panic(fmt.Sprintf("no call for %T", req))
}

func TestReplicasScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	servers := startReplicas(t, 3)
	calls := workload()

	// The same seed gives every replica the same teacher: TeacherFsp agrees bit for bit (no cache).
	noCache := proto.Clone(calls[len(calls)-1]).(*fspdv1.TeacherFspRequest)
	noCache.SampleIds = nil
	var first proto.Message
	for i, s := range servers {
		got, err := call(dialAt(t, s.Address), noCache)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
		} else if !proto.Equal(got, first) {
			t.Fatalf("replica %d's teacher differs from replica 0's", i)
		}
	}

	// The single-server run.
	single := dialAt(t, servers[0].Address)
	expected := make([]proto.Message, len(calls))
	for i, req := range calls {
		var err error
		if expected[i], err = call(single, req); err != nil {
			t.Fatal(err)
		}
	}

	att := &attempts{failed: map[codes.Code]int{}}
	addresses := []string{servers[0].Address, servers[1].Address, servers[2].Address}
	c, err := fspd.DialReplicas(context.Background(), addresses, fspd.WithDialOptions(grpc.WithChainUnaryInterceptor(att.intercept)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Models.ListModels(context.Background(), &fspdv1.ListModelsRequest{}); err != nil {
		t.Fatal(err) // connected
	}

	// 1. Round-robin: sequential calls land on every replica.
	before := []int{handled(t, servers[0]), handled(t, servers[1]), handled(t, servers[2])}
	n := 3 * len(calls)
	for i := 0; i < n; i++ {
		got, err := call(c, calls[i%len(calls)])
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, expected[i%len(calls)]) {
			t.Fatalf("call %d: the result differs from the single server's", i)
		}
	}
	total, served := 0, make([]int, len(servers))
	for k, s := range servers {
		served[k] = handled(t, s) - before[k]
		total += served[k]
		if served[k] < n/6 {
			t.Fatalf("replica %d served %d of %d calls: not round-robin", k, served[k], n)
		}
	}
	if total != n || len(att.failures()) != 0 {
		t.Fatalf("%d calls served for %d sent; failed attempts %v", total, n, att.failures())
	}

	// 2. Concurrent callers. Once a third of the calls are done, replica 1 is frozen (SIGSTOP), so the
	//    calls that land on it stay in flight there, and killed (SIGKILL) when no call has finished for
	//    a while: then every caller still running waits on it, and its calls must be retried elsewhere.
	for k := range before {
		before[k] = handled(t, servers[k])
	}
	var done int32
	type outcome struct {
		i   int
		got proto.Message
		err error
	}
	outcomes := make(chan outcome, callers*callsEach)
	var wg sync.WaitGroup
	for k := 0; k < callers; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for j := 0; j < callsEach; j++ {
				i := (k + j) % len(calls)
				got, err := call(c, calls[i])
				outcomes <- outcome{i, got, err}
				atomic.AddInt32(&done, 1)
			}
		}(k)
	}
	for atomic.LoadInt32(&done) < callers*callsEach/3 {
		time.Sleep(2 * time.Millisecond)
	}
	if err := servers[1].Freeze(); err != nil {
		t.Fatal(err)
	}
	last, since := int32(-1), time.Now()
	for time.Since(since) < 500*time.Millisecond {
		if d := atomic.LoadInt32(&done); d != last {
			last, since = d, time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	stuck := int(atomic.LoadInt32(&att.inFlight))
	servers[1].Kill()
	killedAt := int(atomic.LoadInt32(&done))
	wg.Wait()
	close(outcomes)

	count := 0
	for o := range outcomes {
		count++
		if o.err != nil {
			t.Fatalf("call of request %d failed: %v", o.i, o.err)
		}
		if !proto.Equal(o.got, expected[o.i]) {
			t.Fatalf("request %d: the result differs from the single server's", o.i)
		}
	}
	if count != callers*callsEach || killedAt >= count {
		t.Fatalf("%d outcomes, %d done at the kill", count, killedAt)
	}
	// The kill caught calls on replica 1 (grpc-go reports them as UNAVAILABLE), and they were retried.
	f := att.failures()
	if stuck < 1 || len(f) != 1 || f[codes.Unavailable] < stuck {
		t.Fatalf("%d attempts in flight at the kill; failed attempts %v, want that many UNAVAILABLE", stuck, f)
	}
	s0, s2 := handled(t, servers[0])-before[0], handled(t, servers[2])-before[2]
	if s0 == 0 || s2 == 0 || s0+s2 < count-killedAt {
		t.Fatalf("survivors served %d and %d calls in the second phase, %d finished after the kill", s0, s2, count-killedAt)
	}
	t.Logf("calls per replica %v; %d calls in flight on the killed replica, retried: failed attempts %v", served, stuck, f)
}

// dropAfterRequest is a fake HTTP/2 peer that accepts connections, sends its SETTINGS (so the
// connection becomes ready), reads one request's HEADERS and then closes the connection: a server
// dying mid-call, every time.
type dropAfterRequest struct {
	net.Listener
	requests int32
}

func newDropAfterRequest(t *testing.T) *dropAfterRequest {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dropAfterRequest{Listener: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go d.drop(conn)
		}
	}()
	return d
}

func (d *dropAfterRequest) drop(conn net.Conn) {
	defer conn.Close()
	if _, err := conn.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0}); err != nil { // empty SETTINGS frame
		return
	}
	if _, err := io.ReadFull(conn, make([]byte, 24)); err != nil { // the client preface
		return
	}
	header := make([]byte, 9)
	for {
		if _, err := io.ReadFull(conn, header); err != nil {
			return
		}
		if header[3] == 0x1 { // HEADERS: a request arrived; die without answering
			atomic.AddInt32(&d.requests, 1)
			return
		}
		length := binary.BigEndian.Uint32(append([]byte{0}, header[:3]...))
		if _, err := io.CopyN(ioutil.Discard, conn, int64(length)); err != nil {
			return
		}
	}
}

func TestConnectionLostMidCallRetriesOnlyIdempotentCalls(t *testing.T) {
	peer := newDropAfterRequest(t)
	a := fspd.Float32Tensor([]int64{1, 2, 2, 3}, make([]float32, 12))
	p := fspd.Pair(fspdv1.Layout_LAYOUT_NHWC, a, a)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		run   func(c *fspd.Client) error
		tries int32
	}{
		{"FspLoss", func(c *fspd.Client) error { // computes only: retried
			_, err := c.FSP.FspLoss(ctx, &fspdv1.FspLossRequest{Student: []*fspdv1.FeaturePair{p}, Teacher: []*fspdv1.FeaturePair{p}})
			return err
		}, 3},
		{"TeacherFsp", func(c *fspd.Client) error {
			_, err := c.FSP.TeacherFsp(ctx, &fspdv1.TeacherFspRequest{ModelId: "t", Images: a})
			return err
		}, 3},
		{"CreateModel", func(c *fspd.Client) error { // changes state, may have run: not retried
			_, err := c.Models.CreateModel(ctx, &fspdv1.CreateModelRequest{ModelId: "m", Architecture: &fspdv1.CreateModelRequest_Resnet{Resnet: &fspdv1.ResNetSpec{Depth: 8}}})
			return err
		}, 1},
		{"TrainStep", func(c *fspd.Client) error {
			_, err := c.Training.TrainStep(ctx, &fspdv1.TrainStepRequest{SessionId: "s", Batch: &fspdv1.Batch{Images: a}})
			return err
		}, 1},
	} {
		before := atomic.LoadInt32(&peer.requests)
		c := dialAt(t, peer.Addr().String(), fspd.WithTimeout(10*time.Second),
			fspd.WithRetry(fspd.RetryPolicy{Attempts: 3, Initial: 10 * time.Millisecond, Multiplier: 2, Max: time.Second}))
		err := tc.run(c)
		if fspd.Code(err) != codes.Unavailable {
			t.Fatalf("%s: %v, want UNAVAILABLE", tc.name, err)
		}
		if n := atomic.LoadInt32(&peer.requests) - before; n != tc.tries {
			t.Fatalf("%s: %d attempts reached the server, want %d (last error: %v)", tc.name, n, tc.tries, err)
		}
		t.Logf("%s: %d attempts, then %v", tc.name, tc.tries, err)
		c.Close()
	}
}

func TestUnreachableServerRetriesEveryCall(t *testing.T) {
	// No connection means the request never left: state-changing calls are retried too.
	att := &attempts{failed: map[codes.Code]int{}}
	c := dialAt(t, closedPort(t), fspd.WithDialOptions(grpc.WithChainUnaryInterceptor(att.intercept)),
		fspd.WithRetry(fspd.RetryPolicy{Attempts: 3, Initial: 10 * time.Millisecond, Multiplier: 2, Max: time.Second}))
	_, err := c.Models.CreateModel(context.Background(), &fspdv1.CreateModelRequest{Architecture: &fspdv1.CreateModelRequest_Resnet{Resnet: &fspdv1.ResNetSpec{Depth: 8}}})
	if f := att.failures(); fspd.Code(err) != codes.Unavailable || f[codes.Unavailable] != 3 {
		t.Fatalf("%v after failed attempts %v, want UNAVAILABLE after 3", err, f)
	}
}

func TestDialReplicasWantsHostPorts(t *testing.T) {
	if _, err := fspd.DialReplicas(context.Background(), nil); err == nil {
		t.Fatal("no addresses: want an error")
	}
	if _, err := fspd.DialReplicas(context.Background(), []string{"127.0.0.1:1", "nohost"}); err == nil {
		t.Fatal("an address without a port: want an error")
	}
}
