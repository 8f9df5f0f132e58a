//go:build e2e

// Package e2e drives the built otelcol-genai binary end to end: it starts
// the collector on loopback ports with a config file, sends OTLP over HTTP
// and gRPC, and receives what the collector exports on loopback OTLP/HTTP
// sinks. Run with `go test -tags e2e ./e2e/...` after `make collector`.
package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Environment variables read by examples/otelcol-genai.yaml. Start sets the
// listening ones to free loopback ports unless Options.Env already does.
const (
	EnvGRPCEndpoint    = "OTLP_GRPC_ENDPOINT"
	EnvHTTPEndpoint    = "OTLP_HTTP_ENDPOINT"
	EnvHealthEndpoint  = "HEALTH_CHECK_ENDPOINT"
	EnvTelemetryPort   = "OTELCOL_METRICS_PORT"
	EnvVictoriaMetrics = "VICTORIAMETRICS_OTLP_ENDPOINT"
	EnvVictoriaLogs    = "VICTORIALOGS_OTLP_ENDPOINT"
	EnvVictoriaTraces  = "VICTORIATRACES_OTLP_ENDPOINT"
	EnvTracesFile      = "TRACES_FILE"
	// EnvConnectorFlushInterval is the genai connector's flush_interval.
	EnvConnectorFlushInterval = "GENAI_CONNECTOR_FLUSH_INTERVAL"
	envBinary                 = "OTELCOL_GENAI_BIN"
	startTimeout              = 60 * time.Second
	stopTimeout               = 30 * time.Second
	requestTimeout            = 15 * time.Second
	defaultBinaryRelToRepo    = "build/otelcol-genai/otelcol-genai"
)

// RepoRoot is the repository root (two levels above this file).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("e2e: cannot locate harness.go")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ExampleConfig is examples/otelcol-genai.yaml.
func ExampleConfig(t testing.TB) string {
	t.Helper()
	trackForTestCache(t, "otelcol-genai.yaml")
	return filepath.Join(RepoRoot(t), "examples", "otelcol-genai.yaml")
}

// trackForTestCache stats e2e/testdata/<name>, a symlink to a file outside
// the Go module (the built binary, the example config). Go's test cache
// keys on files a test stats, but only inside the module, so without this
// `go test` would replay old results after `make collector`.
func trackForTestCache(t testing.TB, name string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	_, _ = os.Stat(filepath.Join(filepath.Dir(file), "testdata", name))
}

// Binary is the collector to test: $OTELCOL_GENAI_BIN, or the one
// `make collector` builds. The test fails when it is missing.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(envBinary)
	if bin == "" {
		bin = filepath.Join(RepoRoot(t), defaultBinaryRelToRepo)
		trackForTestCache(t, "otelcol-genai")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("e2e: collector binary %s not found (%v): run `make collector` first or set %s", bin, err, envBinary)
	}
	return bin
}

// FreeAddr returns a loopback host:port nobody listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("e2e: no free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) string {
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	return port
}

// Options configure Start.
type Options struct {
	// Config is the collector config file; empty means ExampleConfig.
	Config string
	// Env adds to (and overrides) the process environment.
	Env map[string]string
	// Overlays are further --config values merged over Config, in order
	// (files or "yaml:..." snippets).
	Overlays []string
}

// Collector is a running otelcol-genai process.
type Collector struct {
	GRPCEndpoint   string // host:port of the OTLP/gRPC receiver
	HTTPEndpoint   string // host:port of the OTLP/HTTP receiver
	HealthEndpoint string // host:port of the health_check extension
	// TelemetryEndpoint is host:port of the collector's own Prometheus metrics.
	TelemetryEndpoint string
	// LogPath holds the collector's stdout and stderr.
	LogPath string

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stop    sync.Once
}

// Start runs the collector with opts, waits until health_check reports it
// ready, and registers a clean stop (SIGTERM, then wait) with t.Cleanup.
// The collector's output is logged when the test fails.
func Start(t testing.TB, opts Options) *Collector {
	t.Helper()
	cfg := opts.Config
	if cfg == "" {
		cfg = ExampleConfig(t)
	}
	env := map[string]string{
		EnvGRPCEndpoint:   FreeAddr(t),
		EnvHTTPEndpoint:   FreeAddr(t),
		EnvHealthEndpoint: FreeAddr(t),
		EnvTelemetryPort:  FreePort(t),
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	c := &Collector{
		GRPCEndpoint:      env[EnvGRPCEndpoint],
		HTTPEndpoint:      env[EnvHTTPEndpoint],
		HealthEndpoint:    env[EnvHealthEndpoint],
		TelemetryEndpoint: "127.0.0.1:" + env[EnvTelemetryPort],
		LogPath:           filepath.Join(t.TempDir(), "collector.log"),
		done:              make(chan struct{}),
	}
	logFile, err := os.Create(c.LogPath)
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	args := []string{"--config=" + cfg}
	for _, o := range opts.Overlays {
		args = append(args, "--config="+o)
	}
	c.cmd = exec.Command(Binary(t), args...)
	c.cmd.Dir = RepoRoot(t)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.Env = os.Environ()
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("e2e: starting %s: %v", c.cmd.Path, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.Stop(t)
		if t.Failed() {
			t.Logf("collector output (%s):\n%s", c.LogPath, c.Output())
		}
	})
	c.waitHealthy(t)
	return c
}

// Output is what the collector printed so far.
func (c *Collector) Output() string {
	b, _ := os.ReadFile(c.LogPath)
	return string(b)
}

func (c *Collector) waitHealthy(t testing.TB) {
	t.Helper()
	url := "http://" + c.HealthEndpoint + "/"
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			t.Fatalf("e2e: collector exited before it was healthy (%v):\n%s", c.waitErr, c.Output())
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("e2e: collector not healthy at %s after %s:\n%s", url, startTimeout, c.Output())
}

// Stop sends SIGTERM and waits for the process to exit (killing it after
// a grace period). It is safe to call more than once; the test fails if the
// collector does not exit cleanly.
func (c *Collector) Stop(t testing.TB) {
	t.Helper()
	c.stop.Do(func() {
		select {
		case <-c.done:
			t.Errorf("e2e: collector had already exited (%v)", c.waitErr)
			return
		default:
		}
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
			if c.waitErr != nil {
				t.Errorf("e2e: collector exited with %v", c.waitErr)
			}
		case <-time.After(stopTimeout):
			_ = c.cmd.Process.Kill()
			<-c.done
			t.Errorf("e2e: collector ignored SIGTERM for %s and was killed", stopTimeout)
		}
	})
}

// Telemetry returns the collector's own metrics in Prometheus text format.
func (c *Collector) Telemetry(t testing.TB) string {
	t.Helper()
	resp, err := http.Get("http://" + c.TelemetryEndpoint + "/metrics")
	if err != nil {
		t.Fatalf("e2e: scraping collector telemetry: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// postProto sends an OTLP/HTTP protobuf request and fails the test on any
// non-200 answer.
func postProto(t testing.TB, endpoint, path string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("e2e: POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("e2e: POST %s: %s: %s", path, resp.Status, msg)
	}
}

func mustMarshal(t testing.TB, marshal func() ([]byte, error)) []byte {
	t.Helper()
	b, err := marshal()
	if err != nil {
		t.Fatalf("e2e: marshal: %v", err)
	}
	return b
}

// SendMetricsHTTP posts md to the OTLP/HTTP receiver at endpoint (host:port).
func SendMetricsHTTP(t testing.TB, endpoint string, md pmetric.Metrics) {
	t.Helper()
	postProto(t, endpoint, "/v1/metrics", mustMarshal(t, pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto))
}

// SendTracesHTTP posts td to the OTLP/HTTP receiver at endpoint (host:port).
func SendTracesHTTP(t testing.TB, endpoint string, td ptrace.Traces) {
	t.Helper()
	postProto(t, endpoint, "/v1/traces", mustMarshal(t, ptraceotlp.NewExportRequestFromTraces(td).MarshalProto))
}

// SendLogsHTTP posts ld to the OTLP/HTTP receiver at endpoint (host:port).
func SendLogsHTTP(t testing.TB, endpoint string, ld plog.Logs) {
	t.Helper()
	postProto(t, endpoint, "/v1/logs", mustMarshal(t, plogotlp.NewExportRequestFromLogs(ld).MarshalProto))
}

func dial(t testing.TB, endpoint string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("e2e: gRPC client for %s: %v", endpoint, err)
	}
	return conn
}

// SendMetricsGRPC exports md to the OTLP/gRPC receiver at endpoint.
func SendMetricsGRPC(t testing.TB, endpoint string, md pmetric.Metrics) {
	t.Helper()
	conn := dial(t, endpoint)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if _, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md)); err != nil {
		t.Fatalf("e2e: gRPC metrics export: %v", err)
	}
}

// SendTracesGRPC exports td to the OTLP/gRPC receiver at endpoint.
func SendTracesGRPC(t testing.TB, endpoint string, td ptrace.Traces) {
	t.Helper()
	conn := dial(t, endpoint)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if _, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
		t.Fatalf("e2e: gRPC traces export: %v", err)
	}
}

// SendLogsGRPC exports ld to the OTLP/gRPC receiver at endpoint.
func SendLogsGRPC(t testing.TB, endpoint string, ld plog.Logs) {
	t.Helper()
	conn := dial(t, endpoint)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if _, err := plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld)); err != nil {
		t.Fatalf("e2e: gRPC logs export: %v", err)
	}
}

// Sink is a loopback OTLP/HTTP server (protobuf) that keeps every request
// it receives, standing in for VictoriaMetrics/VictoriaLogs/VictoriaTraces.
// Point an otlphttp exporter's endpoint at Sink.URL (plus any path prefix:
// the sink accepts any path ending in /v1/metrics, /v1/traces or /v1/logs).
type Sink struct {
	URL string

	srv     *http.Server
	mu      sync.Mutex
	metrics []pmetric.Metrics
	traces  []ptrace.Traces
	logs    []plog.Logs
	errs    []error
}

// NewSink starts a sink on a free loopback port, stopped with t.Cleanup.
func NewSink(t testing.TB) *Sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("e2e: sink listen: %v", err)
	}
	s := &Sink{URL: "http://" + l.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: requestTimeout}
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() {
		_ = s.srv.Close()
		for _, err := range s.Errors() {
			t.Errorf("e2e: sink %s: %v", s.URL, err)
		}
	})
	return s
}

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err == nil {
		err = s.store(r.URL.Path, body)
	}
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// An empty ExportXServiceResponse is zero bytes of protobuf.
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// readBody reads a request body, undoing the gzip compression the otlphttp
// exporter applies by default.
func readBody(r *http.Request) ([]byte, error) {
	var src io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", r.URL.Path, err)
		}
		defer zr.Close()
		src = zr
	default:
		return nil, fmt.Errorf("%s: unsupported Content-Encoding %q", r.URL.Path, enc)
	}
	return io.ReadAll(src)
}

func (s *Sink) store(path string, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case hasSuffix(path, "/v1/metrics"):
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s.metrics = append(s.metrics, req.Metrics())
	case hasSuffix(path, "/v1/traces"):
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s.traces = append(s.traces, req.Traces())
	case hasSuffix(path, "/v1/logs"):
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s.logs = append(s.logs, req.Logs())
	default:
		return errors.New("unexpected path " + path)
	}
	return nil
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// Errors are the requests the sink refused.
func (s *Sink) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// Metrics merges every metrics request received so far into one value.
func (s *Sink) Metrics() pmetric.Metrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := pmetric.NewMetrics()
	for _, md := range s.metrics {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			md.ResourceMetrics().At(i).CopyTo(out.ResourceMetrics().AppendEmpty())
		}
	}
	return out
}

// Traces merges every traces request received so far into one value.
func (s *Sink) Traces() ptrace.Traces {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := ptrace.NewTraces()
	for _, td := range s.traces {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			td.ResourceSpans().At(i).CopyTo(out.ResourceSpans().AppendEmpty())
		}
	}
	return out
}

// Logs merges every logs request received so far into one value.
func (s *Sink) Logs() plog.Logs {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := plog.NewLogs()
	for _, ld := range s.logs {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			ld.ResourceLogs().At(i).CopyTo(out.ResourceLogs().AppendEmpty())
		}
	}
	return out
}

// WaitFor polls cond until it holds, failing the test with what after
// timeout. It is for waiting on asynchronous export, not for timing.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("e2e: timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
