// Command burst measures the collector's peak RSS (VmHWM) under concurrent
// large batches (issue 24, "memory the limiter can see"): for each pipeline
// (no processor, genai) it starts the real otelcol-genai binary, sends
// -concurrent copies of one large legacy OpenLIT metric batch at once over
// loopback OTLP/gRPC, -rounds times, and reports VmHWM with the requests
// acknowledged and exported, one JSON line per pipeline.
//
//	go run ./bench/cmd/burst                       # 16 x 19 MB, none and genai
//	go run ./bench/cmd/burst -genai '{"max_inflight_bytes": 0}'   # the bound off
//
// The batch is OpenLIT's legacy counters (request count, input and output
// tokens) for distinct attribute sets, the shape the core decodes whole
// (tests/call_memory.rs builds the same one).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-genai/otelcol-genai/go-shim/bench"
)

const method = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"

// legacyBatch is OpenLIT's legacy counters for calls distinct attribute
// sets (19 MB at 23,000 calls).
func legacyBatch(calls int) []byte {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("telemetry.sdk.name", "openlit")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("openlit.otel.metrics")
	for _, c := range []struct {
		name  string
		value func(int) int64
	}{
		{"gen_ai.total.requests", func(i int) int64 { return 1 + int64(i%3) }},
		{"gen_ai.usage.input_tokens", func(i int) int64 { return 100 + int64(i%50) }},
		{"gen_ai.usage.output_tokens", func(i int) int64 { return 20 + int64(i%30) }},
	} {
		m := sm.Metrics().AppendEmpty()
		m.SetName(c.name)
		m.SetUnit("1")
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for i := range calls {
			dp := sum.DataPoints().AppendEmpty()
			a := dp.Attributes()
			a.PutStr("gen_ai.system", "openai")
			a.PutStr("gen_ai.operation.name", "chat")
			a.PutStr("gen_ai.request.model", "gpt-4o")
			a.PutStr("gen_ai.application_name", "checkout-assistant")
			a.PutStr("gen_ai.environment", "production")
			a.PutStr("server.address", "api.openai.com")
			a.PutStr("app.user", fmt.Sprintf("user-%08d", i))
			dp.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
			dp.SetTimestamp(pcommon.Timestamp(1_700_000_060_000_000_000))
			dp.SetIntValue(c.value(i))
		}
	}
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// sink counts the requests the collector exports and whether they were
// transformed.
type sink struct {
	requests, transformed atomic.Int64
}

func (s *sink) serve() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(bench.RawCodec{}), grpc.MaxRecvMsgSize(512<<20))
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "opentelemetry.proto.collector.metrics.v1.MetricsService",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Export", Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var b []byte
			if err := dec(&b); err != nil {
				return nil, err
			}
			s.requests.Add(1)
			if bytes.Contains(b, []byte("gen_ai_client_operation_duration_seconds")) {
				s.transformed.Add(1)
			}
			empty := []byte{}
			return &empty, nil
		}}},
	}, struct{}{})
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), nil
}

func config(pipeline, recv, sinkAddr string, genai map[string]any, limiterMiB int) ([]byte, error) {
	processors := map[string]any{}
	var names []string
	if limiterMiB > 0 {
		processors["memory_limiter"] = map[string]any{"check_interval": "100ms", "limit_mib": limiterMiB, "spike_limit_mib": limiterMiB / 5}
		names = append(names, "memory_limiter")
	}
	switch pipeline {
	case "none":
	case "genai":
		processors["genai"] = genai
		names = append(names, "genai")
	default:
		return nil, fmt.Errorf("unknown pipeline %q", pipeline)
	}
	cfg := map[string]any{
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
			"grpc": map[string]any{"endpoint": recv, "max_recv_msg_size_mib": 64},
		}}},
		"exporters": map[string]any{"otlp_grpc": map[string]any{
			"endpoint":         sinkAddr,
			"tls":              map[string]any{"insecure": true},
			"compression":      "none",
			"sending_queue":    map[string]any{"enabled": false},
			"retry_on_failure": map[string]any{"enabled": false},
		}},
		"service": map[string]any{
			"telemetry": map[string]any{
				"metrics": map[string]any{"level": "none"},
				"logs":    map[string]any{"level": "warn"},
			},
			"pipelines": map[string]any{"metrics": map[string]any{
				"receivers": []string{"otlp"}, "processors": names, "exporters": []string{"otlp_grpc"},
			}},
		},
	}
	if len(processors) > 0 {
		cfg["processors"] = processors
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// Result is one pipeline's measurement.
type Result struct {
	Pipeline     string  `json:"pipeline"`
	BatchBytes   int     `json:"batch_bytes"`
	Concurrent   int     `json:"concurrent"`
	Rounds       int     `json:"rounds"`
	Acked        int64   `json:"acked"`
	Failed       int64   `json:"failed"`
	Exported     int64   `json:"exported"`
	Transformed  int64   `json:"transformed"`
	Seconds      float64 `json:"seconds"`
	IdleHWMKiB   int64   `json:"idle_rss_hwm_kib"`
	RSSHWMKiB    int64   `json:"rss_hwm_kib"`
	FirstFailure string  `json:"first_failure,omitempty"`
}

func run(bin, pipeline string, batch []byte, genai map[string]any, limiterMiB, concurrent, rounds int) (Result, error) {
	res := Result{Pipeline: pipeline, BatchBytes: len(batch), Concurrent: concurrent, Rounds: rounds}
	var sk sink
	sinkAddr, err := sk.serve()
	if err != nil {
		return res, err
	}
	recv, err := bench.FreePort()
	if err != nil {
		return res, err
	}
	cfg, err := config(pipeline, recv, sinkAddr, genai, limiterMiB)
	if err != nil {
		return res, err
	}
	col, err := bench.StartCollector(bin, cfg)
	if err != nil {
		return res, err
	}
	defer col.Stop(20 * time.Second)
	conn, err := grpc.NewClient(recv, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(bench.RawCodec{}), grpc.MaxCallSendMsgSize(512<<20)))
	if err != nil {
		return res, err
	}
	defer conn.Close()
	send := func(ctx context.Context, b []byte) error {
		req, resp := b, []byte{}
		return conn.Invoke(ctx, method, &req, &resp)
	}
	// Ready when an empty request goes through.
	if err := col.WaitReady(func(ctx context.Context) error { return send(ctx, nil) }); err != nil {
		return res, err
	}
	res.IdleHWMKiB = bench.ProcStatusKiB(col.Pid(), "VmHWM")
	var acked, failed atomic.Int64
	var firstFailure sync.Once
	t0 := time.Now()
	for range rounds {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				if err := send(ctx, batch); err != nil {
					failed.Add(1)
					firstFailure.Do(func() { res.FirstFailure = err.Error() })
					return
				}
				acked.Add(1)
			}()
		}
		wg.Wait()
	}
	res.Seconds = time.Since(t0).Seconds()
	res.RSSHWMKiB = bench.ProcStatusKiB(col.Pid(), "VmHWM")
	res.Acked, res.Failed = acked.Load(), failed.Load()
	res.Exported, res.Transformed = sk.requests.Load(), sk.transformed.Load()
	return res, nil
}

func main() {
	var (
		bin        = flag.String("bin", filepath.Join(bench.RepoRoot(), "build/otelcol-genai/otelcol-genai"), "collector binary")
		out        = flag.String("out", "", "append JSON lines here (default stdout)")
		calls      = flag.Int("calls", 23_000, "distinct attribute sets in the batch (23,000: 19 MB)")
		concurrent = flag.Int("concurrent", 16, "batches sent at once")
		rounds     = flag.Int("rounds", 2, "bursts per collector")
		pipelines  = flag.String("pipelines", "none,genai", "comma-separated: none, genai")
		genaiCfg   = flag.String("genai", "{}", "the genai processor's configuration, as JSON")
		limiterMiB = flag.Int("memory-limiter-mib", 0, "put memory_limiter first with this limit_mib (0: none)")
	)
	flag.Parse()
	var genai map[string]any
	if err := json.Unmarshal([]byte(*genaiCfg), &genai); err != nil {
		log.Fatalf("-genai: %v", err)
	}
	batch := legacyBatch(*calls)
	enc, closeOut, err := bench.JSONLines(*out)
	if err != nil {
		log.Fatal(err)
	}
	defer closeOut()
	for _, p := range strings.Split(*pipelines, ",") {
		r, err := run(*bin, p, batch, genai, *limiterMiB, *concurrent, *rounds)
		if err != nil {
			log.Fatalf("%s: %v", p, err)
		}
		log.Printf("%s: %d x %.1f MB x %d rounds: VmHWM %d MiB (idle %d), acked %d, failed %d, exported %d (transformed %d), %.1f s",
			p, r.Concurrent, float64(r.BatchBytes)/1e6, r.Rounds, r.RSSHWMKiB/1024, r.IdleHWMKiB/1024, r.Acked, r.Failed, r.Exported, r.Transformed, r.Seconds)
		if err := enc.Encode(r); err != nil {
			log.Fatal(err)
		}
	}
}
