// Command loadtest drives the real otelcol-genai binary on loopback: for
// each workload and pipeline (no processor, genai, the pure-Go pipeline) it
// starts the collector, sends OTLP/gRPC as fast as the collector accepts it
// for a bounded time and receives the export on a loopback OTLP/gRPC sink.
// It reports items/s, items per collector CPU-second (per core) and peak RSS
// (VmHWM) of the collector, one JSON line per configuration.
//
//	go run ./bench/cmd/loadtest -out build/bench/loadtest.jsonl
//	go run ./bench/cmd/loadtest -print-config genai_spans/purego   # the pure-Go collector config
//
// The exporter's queue and retries are off, so an acknowledged request has
// been processed and exported: the generator's acknowledged items are the
// collector's end-to-end throughput.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-genai/otelcol-genai/go-shim/bench"
)

var services = map[bench.Signal]string{
	bench.Traces:  "opentelemetry.proto.collector.trace.v1.TraceService",
	bench.Metrics: "opentelemetry.proto.collector.metrics.v1.MetricsService",
	bench.Logs:    "opentelemetry.proto.collector.logs.v1.LogsService",
}

// sink counts what the collector exports and keeps the first request.
type sink struct {
	requests atomic.Int64
	bytes    atomic.Int64
	mu       sync.Mutex
	first    []byte
}

func (s *sink) reset() {
	s.requests.Store(0)
	s.bytes.Store(0)
	s.mu.Lock()
	s.first = nil
	s.mu.Unlock()
}

func (s *sink) serve() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(bench.RawCodec{}), grpc.MaxRecvMsgSize(256<<20))
	for _, name := range services {
		srv.RegisterService(&grpc.ServiceDesc{
			ServiceName: name,
			HandlerType: (*any)(nil),
			Methods: []grpc.MethodDesc{{MethodName: "Export", Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				var b []byte
				if err := dec(&b); err != nil {
					return nil, err
				}
				s.requests.Add(1)
				s.bytes.Add(int64(len(b)))
				s.mu.Lock()
				if s.first == nil {
					s.first = b
				}
				s.mu.Unlock()
				empty := []byte{}
				return &empty, nil
			}}},
		}, struct{}{})
	}
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), nil
}

func freePort() string {
	addr, err := bench.FreePort()
	if err != nil {
		log.Fatal(err)
	}
	return addr
}

// collectorConfig is the collector configuration as JSON (valid YAML).
func collectorConfig(sig bench.Signal, pipeline, recv, sinkAddr, pprofAddr string, prices []bench.ModelPrice) ([]byte, error) {
	processors := map[string]any{}
	var names []string
	switch pipeline {
	case "none":
	case "genai":
		processors["genai"] = map[string]any{}
		names = []string{"genai"}
	case "purego":
		for _, st := range bench.PureGoStages(sig, bench.PureGoOptions{Normalize: true, Cost: true, Naming: true}, prices) {
			n := st.Factory.Type().String()
			processors[n] = st.Config
			names = append(names, n)
		}
	default:
		return nil, fmt.Errorf("unknown pipeline %q", pipeline)
	}
	pipelineName := string(sig)
	cfg := map[string]any{
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
			"grpc": map[string]any{"endpoint": recv, "max_recv_msg_size_mib": 64},
		}}},
		"processors": processors,
		"exporters": map[string]any{"otlp_grpc": map[string]any{
			"endpoint":         sinkAddr,
			"tls":              map[string]any{"insecure": true},
			"compression":      "none",
			"sending_queue":    map[string]any{"enabled": false},
			"retry_on_failure": map[string]any{"enabled": false},
		}},
		// The load test takes a CPU profile through it over each measurement.
		"extensions": map[string]any{"pprof": map[string]any{"endpoint": pprofAddr}},
		"service": map[string]any{
			"extensions": []string{"pprof"},
			"telemetry": map[string]any{
				"metrics": map[string]any{"level": "none"},
				"logs":    map[string]any{"level": "warn"},
			},
			"pipelines": map[string]any{pipelineName: map[string]any{
				"receivers": []string{"otlp"}, "processors": names, "exporters": []string{"otlp_grpc"},
			}},
		},
	}
	if len(processors) == 0 {
		delete(cfg, "processors")
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// procStat returns the CPU seconds (user + system) of pid.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

// Result is one configuration's measurement.
type Result struct {
	Workload     string  `json:"workload"`
	Pipeline     string  `json:"pipeline"`
	Round        int     `json:"round"`
	Seconds      float64 `json:"seconds"`
	Batches      int64   `json:"batches"`
	Items        int64   `json:"items"`
	Errors       int64   `json:"errors"`
	ItemsPerSec  float64 `json:"items_per_s"`
	CPUSeconds   float64 `json:"collector_cpu_s"`
	ItemsPerCPUs float64 `json:"items_per_cpu_s"`
	BytesPerCPUs float64 `json:"input_bytes_per_cpu_s"`
	RSSHWMKiB    int64   `json:"rss_hwm_kib"`
	RSSMeanKiB   int64   `json:"rss_mean_kib"`
	SinkRequests int64   `json:"sink_requests"`
	Transformed  bool    `json:"transformed"`
	// ProcessorCPUShare is the fraction of the collector's CPU profile
	// samples in the genai processor over the measurement (genai only).
	ProcessorCPUShare float64 `json:"processor_cpu_share,omitempty"`
}

func run(bin string, w bench.Workload, pipeline string, prices []bench.ModelPrice, sk *sink, sinkAddr string, warmup, dur time.Duration, senders int) (Result, error) {
	res := Result{Workload: w.Name, Pipeline: pipeline}
	recv, pprofAddr := freePort(), freePort()
	cfg, err := collectorConfig(w.Signal, pipeline, recv, sinkAddr, pprofAddr, prices)
	if err != nil {
		return res, err
	}
	col, err := bench.StartCollector(bin, cfg)
	if err != nil {
		return res, err
	}
	defer col.Stop(10 * time.Second)
	pid := col.Pid()

	conn, err := grpc.NewClient(recv, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(bench.RawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return res, err
	}
	defer conn.Close()
	method := "/" + services[w.Signal] + "/Export"
	send := func(ctx context.Context) error {
		req, resp := w.Bytes, []byte{}
		return conn.Invoke(ctx, method, &req, &resp)
	}
	// Ready when the first request goes through.
	if err := col.WaitReady(send); err != nil {
		return res, err
	}

	var acked, failed atomic.Int64
	var measuring atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := send(ctx)
				cancel()
				if !measuring.Load() {
					continue
				}
				if err != nil {
					failed.Add(1)
				} else {
					acked.Add(1)
				}
			}
		}()
	}
	time.Sleep(warmup)
	sk.reset()
	cpu0, t0 := procCPU(pid), time.Now()
	measuring.Store(true)
	type shareResult struct {
		share float64
		err   error
	}
	// Every pipeline is profiled, so that the profiler's own CPU and memory
	// weigh on none and purego as on genai.
	shared := make(chan shareResult, 1)
	go func() {
		// Whole seconds within the measurement.
		s, err := processorShare(pprofAddr, max(1, int(dur.Seconds())-1))
		shared <- shareResult{s, err}
	}()
	var rssSum, rssN int64
	tick := time.NewTicker(250 * time.Millisecond)
	for end := t0.Add(dur); time.Now().Before(end); {
		<-tick.C
		rssSum += bench.ProcStatusKiB(pid, "VmRSS")
		rssN++
	}
	tick.Stop()
	share := <-shared
	measuring.Store(false)
	elapsed, cpu := time.Since(t0).Seconds(), procCPU(pid)-cpu0
	res.RSSHWMKiB = bench.ProcStatusKiB(pid, "VmHWM")
	close(stop)
	wg.Wait()
	if share.err != nil {
		return res, fmt.Errorf("processor CPU share: %w", share.err)
	}
	if pipeline == "genai" {
		res.ProcessorCPUShare = share.share
	}

	res.Seconds = elapsed
	res.Batches = acked.Load()
	res.Errors = failed.Load()
	res.Items = res.Batches * int64(w.Items)
	res.ItemsPerSec = float64(res.Items) / elapsed
	res.CPUSeconds = cpu
	if cpu > 0 {
		res.ItemsPerCPUs = float64(res.Items) / cpu
		res.BytesPerCPUs = float64(res.Batches*int64(len(w.Bytes))) / cpu
	}
	if rssN > 0 {
		res.RSSMeanKiB = rssSum / rssN
	}
	res.SinkRequests = sk.requests.Load()
	sk.mu.Lock()
	first := sk.first
	sk.mu.Unlock()
	// A name only the transforms write: the renamed duration metric, or a cost
	// attribute (workload 1 already has a gen_ai.usage.cost metric).
	mark := "gen_ai.usage.cost"
	if w.Signal == bench.Metrics {
		mark = "gen_ai_client_operation_duration_seconds"
	}
	res.Transformed = bytes.Contains(first, []byte(mark))
	return res, nil
}

func main() {
	var (
		bin       = flag.String("bin", filepath.Join(bench.RepoRoot(), "build/otelcol-genai/otelcol-genai"), "collector binary")
		out       = flag.String("out", "", "append JSON lines here (default stdout)")
		dur       = flag.Duration("duration", 15*time.Second, "measured time per configuration")
		warmup    = flag.Duration("warmup", 3*time.Second, "unmeasured time before each measurement")
		senders   = flag.Int("senders", 4, "concurrent gRPC requests in flight")
		workloads = flag.String("workloads", "genai_metrics,genai_spans,genai_logs,plain_spans", "comma-separated workloads")
		pipelines = flag.String("pipelines", "none,genai,purego", "comma-separated pipelines")
		rounds    = flag.Int("rounds", 1, "measurements of each configuration, interleaved: round r runs every workload and pipeline once")
		printCfg  = flag.String("print-config", "", "print the collector configuration of workload/pipeline (e.g. genai_spans/purego) and exit")
	)
	flag.Parse()
	prices, err := bench.LoadPrices()
	if err != nil {
		log.Fatal(err)
	}
	if wl, p, ok := strings.Cut(*printCfg, "/"); ok {
		cfg, err := collectorConfig(bench.SignalOf(wl), p, "127.0.0.1:4317", "127.0.0.1:4327", "127.0.0.1:1777", prices)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(cfg))
		return
	}
	var sk sink
	sinkAddr, err := sk.serve()
	if err != nil {
		log.Fatal(err)
	}
	enc, closeOut, err := bench.JSONLines(*out)
	if err != nil {
		log.Fatal(err)
	}
	defer closeOut()
	var wls []bench.Workload
	for _, name := range strings.Split(*workloads, ",") {
		wl, err := bench.Load(bench.WorkloadDir(), name, 1000)
		if err != nil {
			log.Fatal(err)
		}
		wls = append(wls, wl)
	}
	// Rounds are interleaved rather than repeated back to back: the load
	// other jobs put on a shared machine drifts over minutes, and pairing a
	// round's genai run with the same round's none run keeps that drift
	// out of their ratio.
	for round := 1; round <= *rounds; round++ {
		for _, wl := range wls {
			for _, p := range strings.Split(*pipelines, ",") {
				r, err := run(*bin, wl, p, prices, &sk, sinkAddr, *warmup, *dur, *senders)
				if err != nil {
					log.Fatalf("%s/%s: %v", wl.Name, p, err)
				}
				r.Round = round
				log.Printf("round %d, %s/%s: %.0f items/s, %.0f items per CPU-s, VmHWM %d MiB, errors %d, transformed %v, genai's CPU share %.3f",
					round, wl.Name, p, r.ItemsPerSec, r.ItemsPerCPUs, r.RSSHWMKiB/1024, r.Errors, r.Transformed, r.ProcessorCPUShare)
				if err := enc.Encode(r); err != nil {
					log.Fatal(err)
				}
			}
		}
	}
}
