// Package fspd is the Go client of fspd, the FSP knowledge-distillation gRPC service (Yim et al., CVPR
// 2017). A Client holds one connection and the generated stubs of the three services (package
// fspdv1): FSP math (FspService), server-side models (ModelService) and remote training sessions
// (TrainingService). Every call gets a default deadline when its context has none, the bearer token
// when one is set, and retries with exponential backoff on UNAVAILABLE (unary calls only: streams
// change a session as they go and are not retried).
//
// The connection may span several replicas (DialReplicas, or a dns:/// target that resolves to several
// addresses): calls are spread round-robin over them. Calls that only compute or read (ComputeFsp,
// FspLoss, TeacherFsp, GetModel, ListModels, GetSession, ListSessions, Evaluate) are retried on any
// UNAVAILABLE, including the one a call gets when its replica dies mid-call, so they go on on the others;
// calls that change state only when they cannot have run (no server reached, or the server was starting).
//
//	c, err := fspd.Dial(ctx, "127.0.0.1:50051", fspd.WithToken(os.Getenv("FSPD_TOKEN")))
//	res, err := c.FSP.FspLoss(ctx, &fspdv1.FspLossRequest{...})
package fspd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strings"
	"time"

	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"
)

// Client is a connection to an fspd server with the stubs of its services.
type Client struct {
	Conn         *grpc.ClientConn
	FSP          fspdv1.FspServiceClient
	Models       fspdv1.ModelServiceClient
	Training     fspdv1.TrainingServiceClient
	SharedMemory fspdv1.SharedMemoryServiceClient
}

// RetryPolicy retries calls that failed with UNAVAILABLE: up to Attempts tries in all, pausing
// Initial·Multiplier^k (at most Max, with ±50 % jitter) in between, within the call's deadline.
type RetryPolicy struct {
	Attempts   int
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
}

// DefaultRetry is the policy a Client starts with.
var DefaultRetry = RetryPolicy{Attempts: 5, Initial: 50 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}

type options struct {
	token          string
	tls            *tls.Config
	timeout        time.Duration
	retry          RetryPolicy
	maxMessageSize int
	dial           []grpc.DialOption
}

// Option configures Dial.
type Option func(*options) error

// WithToken sends `authorization: Bearer <token>` with every call (empty = none).
func WithToken(token string) Option { return func(o *options) error { o.token = token; return nil } }

// WithTLS connects over TLS with the given configuration (nil = the system roots).
func WithTLS(config *tls.Config) Option {
	return func(o *options) error {
		if config == nil {
			config = &tls.Config{}
		}
		o.tls = config
		return nil
	}
}

// WithTLSFiles connects over TLS trusting the PEM CA bundle caFile ("" = the system roots); with
// certFile and keyFile it also presents a client certificate (mTLS).
func WithTLSFiles(caFile, certFile, keyFile string) Option {
	return func(o *options) error {
		config := &tls.Config{}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return fmt.Errorf("fspd: TLS CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("fspd: TLS CA %s: no PEM certificate", caFile)
			}
			config.RootCAs = pool
		}
		if certFile != "" || keyFile != "" {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return fmt.Errorf("fspd: TLS client certificate: %w", err)
			}
			config.Certificates = []tls.Certificate{cert}
		}
		o.tls = config
		return nil
	}
}

// WithTimeout is the deadline of unary calls whose context has none (0 = none). Default 60 s.
func WithTimeout(d time.Duration) Option { return func(o *options) error { o.timeout = d; return nil } }

// WithRetry replaces the retry policy; RetryPolicy{Attempts: 1} turns retries off.
func WithRetry(p RetryPolicy) Option { return func(o *options) error { o.retry = p; return nil } }

// WithMaxMessageSize is the largest message sent or received (default 64 MiB, the server's default).
func WithMaxMessageSize(n int) Option {
	return func(o *options) error { o.maxMessageSize = n; return nil }
}

// WithDialOptions passes further grpc.DialOptions (interceptors, keepalive, a custom dialer).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) error { o.dial = append(o.dial, opts...); return nil }
}

// roundRobin spreads calls over every address the target resolves to (one for a plain host:port).
// WithDialOptions(grpc.WithDefaultServiceConfig(...)) replaces it, e.g. with pick_first.
const roundRobin = `{"loadBalancingConfig": [{"round_robin": {}}]}`

// Dial connects to address ("host:port", "unix:/path" or any gRPC target, e.g. "dns:///name:port",
// whose addresses calls are spread over round-robin). The connection is made lazily; ctx only bounds
// the setup.
func Dial(ctx context.Context, address string, opts ...Option) (*Client, error) {
	return dial(ctx, address, nil, opts)
}

// DialReplicas connects to several replicas ("host:port" each) through one connection that spreads
// calls round-robin over them and retries idempotent calls on the others when one dies. With TLS,
// each replica's certificate is checked against its host.
func DialReplicas(ctx context.Context, addresses []string, opts ...Option) (*Client, error) {
	if len(addresses) == 0 {
		return nil, fmt.Errorf("fspd: DialReplicas: no addresses")
	}
	r := make(replicas, len(addresses))
	for i, a := range addresses {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("fspd: DialReplicas: addresses[%d]: %w", i, err)
		}
		r[i] = resolver.Address{Addr: a, ServerName: host}
	}
	return dial(ctx, replicasScheme+":///"+strings.Join(addresses, ","), []grpc.DialOption{grpc.WithResolvers(r)}, opts)
}

func dial(ctx context.Context, target string, extra []grpc.DialOption, opts []Option) (*Client, error) {
	o := options{timeout: 60 * time.Second, retry: DefaultRetry, maxMessageSize: 64 << 20}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	dial := append([]grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(o.maxMessageSize), grpc.MaxCallSendMsgSize(o.maxMessageSize)),
		grpc.WithChainUnaryInterceptor(deadlineUnary(o.timeout), retryUnary(o.retry)),
		grpc.WithDefaultServiceConfig(roundRobin),
	}, extra...)
	if o.tls != nil {
		dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(o.tls)))
	} else {
		dial = append(dial, grpc.WithInsecure()) //nolint:staticcheck // credentials/insecure needs grpc >= 1.34
	}
	if o.token != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{token: o.token, secure: o.tls != nil}))
	}
	conn, err := grpc.DialContext(ctx, target, append(dial, o.dial...)...)
	if err != nil {
		return nil, fmt.Errorf("fspd: dial %s: %w", target, err)
	}
	return &Client{
		Conn:         conn,
		FSP:          fspdv1.NewFspServiceClient(conn),
		Models:       fspdv1.NewModelServiceClient(conn),
		Training:     fspdv1.NewTrainingServiceClient(conn),
		SharedMemory: fspdv1.NewSharedMemoryServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }

const replicasScheme = "fspd-replicas"

// replicas resolves to a fixed list of addresses: grpc-go has no static multi-address target, and
// WithResolvers keeps this one to the connection (nothing registered globally).
type replicas []resolver.Address

func (r replicas) Scheme() string { return replicasScheme }

func (r replicas) Build(_ resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	cc.UpdateState(resolver.State{Addresses: r})
	return r, nil
}

func (replicas) ResolveNow(resolver.ResolveNowOptions) {}
func (replicas) Close()                                {}

type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false so that a token also works on plaintext loopback or unix sockets
// (a sidecar in a pod); use TLS across machines.
func (b bearer) RequireTransportSecurity() bool { return false }

// deadlineUnary gives unary calls without a deadline the default one. Streams (Train, Run,
// UploadModel, ExportModel) run as long as their context allows: set one on ctx.
func deadlineUnary(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok && d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// idempotent are the RPCs that only compute or read: running one twice does no harm, so any
// UNAVAILABLE is retried, also the one a call gets when its server dies mid-call (grpc-go:
// UNAVAILABLE "transport is closing" / "error reading from server: EOF").
var idempotent = map[string]bool{
	"/fspd.v1.FspService/ComputeFsp":        true,
	"/fspd.v1.FspService/FspLoss":           true,
	"/fspd.v1.FspService/TeacherFsp":        true,
	"/fspd.v1.ModelService/GetModel":        true,
	"/fspd.v1.ModelService/ListModels":      true,
	"/fspd.v1.TrainingService/GetSession":   true,
	"/fspd.v1.TrainingService/ListSessions": true,
	"/fspd.v1.TrainingService/Evaluate":     true,
}

// retryable: UNAVAILABLE of an idempotent RPC, or of any RPC whose request cannot have run: the server
// refused it during warm-up (reason SERVER_STARTING), or dialing failed — a status grpc-go makes itself,
// without details, so known by its wording. An RPC that changes state may have run when the connection
// broke mid-call, so that is not retried.
func retryable(method string, err error) bool {
	if status.Code(err) != codes.Unavailable {
		return false
	}
	details := Details(err)
	if idempotent[method] || details.Reason == "SERVER_STARTING" {
		return true
	}
	return details.Domain == "" && strings.Contains(status.Convert(err).Message(), "Error while dialing")
}

func retryUnary(p RetryPolicy) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		delay := p.Initial
		for attempt := 1; ; attempt++ {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if err == nil || !retryable(method, err) || attempt >= p.Attempts {
				return err
			}
			pause := delay
			if p.Max > 0 && pause > p.Max {
				pause = p.Max
			}
			pause = time.Duration(float64(pause) * (0.5 + rand.Float64()))
			if d := Details(err); d.Retry && pause < d.RetryDelay {
				pause = d.RetryDelay // the server's RetryInfo: no sooner than it says
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause {
				return err
			}
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			if p.Multiplier > 0 {
				delay = time.Duration(float64(delay) * p.Multiplier)
			}
		}
	}
}
