//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The pricing files' reload under a running collector (genaiprocessor's
// pricing_reload): a steady workload of priced calls while the file
// changes, breaks and changes a hundred times more.

// reloadInterval is the check interval the test runs the collector with.
const reloadInterval = 250 * time.Millisecond

// reloadRSSGrowthBound bounds the collector's resident memory growth over
// 100 reloads, from the 10th to the 110th. A processor with a pricing file
// holds its own frozen copy of the built-in table (about 1 MB of heap,
// docs/pricing.md), so keeping the replaced ones would grow it by 100 MB
// or more; what the allocators keep around stays far below this.
const reloadRSSGrowthBound = 24 << 20

func reloadPrices(input float64) string {
	return fmt.Sprintf("models:\n  - model: acme-chat\n    provider: acme\n    input: %g\n    output: 0.5\n", input)
}

const reloadBroken = "models:\n  - model: acme-chat\n    input: \"two dollars\"\n"

// reloadConfig: OTLP in, the genai processor, traces out to the sink with
// no queue and no batch processor, so that every request the sink gets is
// one batch of the processor.
func reloadConfig(t *testing.T, pricing, sink string) string {
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc: { endpoint: "${env:OTLP_GRPC_ENDPOINT}" }
      http: { endpoint: "${env:OTLP_HTTP_ENDPOINT}" }
processors:
  genai:
    pricing_reload: { interval: %s }
    cost:
      pricing_files: [{ path: %q, format: yaml }]
exporters:
  otlp_http:
    traces_endpoint: %q
    compression: none
    sending_queue: { enabled: false }
    retry_on_failure: { enabled: false }
extensions:
  health_check: { endpoint: "${env:HEALTH_CHECK_ENDPOINT}" }
service:
  extensions: [health_check]
  telemetry:
    metrics:
      readers:
        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: "${env:OTELCOL_METRICS_PORT}" } } }
  pipelines:
    traces: { receivers: [otlp], processors: [genai], exporters: [otlp_http] }
`, reloadInterval, pricing, sink+"/v1/traces")
	path := filepath.Join(t.TempDir(), "reload.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// reloadBatch is one request of n calls of acme-chat with 1M input tokens
// each (its cost: the input price), numbered seq.
func reloadBatch(seq, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "reload-e2e")
	rs.Resource().Attributes().PutInt("test.batch", int64(seq))
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range n {
		span := spans.AppendEmpty()
		span.SetName("chat acme-chat")
		span.SetTraceID([16]byte{byte(seq >> 8), byte(seq), 1})
		span.SetSpanID([8]byte{byte(i + 1)})
		a := span.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "acme")
		a.PutStr("gen_ai.request.model", "acme-chat")
		a.PutInt("gen_ai.usage.input_tokens", 1_000_000)
		a.PutInt("gen_ai.usage.output_tokens", 0)
	}
	return td
}

// sinkBatch is what the sink got in one request: its batch number and the
// costs of its spans.
type sinkBatch struct {
	seq   int64
	costs []float64
}

func (s *Sink) traceBatches(from int) []sinkBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sinkBatch
	for _, td := range s.traces[min(from, len(s.traces)):] {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			seq, _ := rs.Resource().Attributes().Get("test.batch")
			b := sinkBatch{seq: seq.Int()}
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				spans := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					cost, ok := spans.At(k).Attributes().Get("gen_ai.usage.cost")
					if !ok {
						b.costs = append(b.costs, -1)
						continue
					}
					b.costs = append(b.costs, cost.Double())
				}
			}
			out = append(out, b)
		}
	}
	return out
}

func (s *Sink) traceRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.traces)
}

// vmRSS is a process's resident set size in bytes (/proc/<pid>/status).
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func TestPricingFileReloadsUnderSteadyLoad(t *testing.T) {
	sink := NewSink(t)
	dir := t.TempDir()
	pricing := filepath.Join(dir, "prices.yaml")
	write := func(content string) {
		// Aside, then renamed: a check never reads half a file.
		tmp := pricing + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, pricing); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadPrices(2))
	col := Start(t, Options{Config: reloadConfig(t, pricing, sink.URL)})
	reloads := func(result string) int {
		v := promValue(col.Telemetry(t), "otelcol_processor_genai_pricing_reloads", `result="`+result+`"`)
		n, _ := strconv.Atoi(v)
		return n
	}
	waitReloads := func(result string, want int) time.Duration {
		began := time.Now()
		WaitFor(t, 10*time.Second, fmt.Sprintf("pricing_reloads{result=%q} = %d", result, want), func() bool {
			return reloads(result) >= want
		})
		if got := reloads(result); got != want {
			t.Fatalf("pricing_reloads{result=%q} = %d, want %d", result, got, want)
		}
		return time.Since(began)
	}

	// The steady workload: a batch of 20 calls every 10 ms until the end.
	var (
		seq     atomic.Int64
		stop    = make(chan struct{})
		stopped sync.WaitGroup
		sentAt  sync.Map // seq -> time sent
	)
	stopped.Add(1)
	go func() {
		defer stopped.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			n := int(seq.Add(1))
			sentAt.Store(int64(n), time.Now())
			SendTracesHTTP(t, col.HTTPEndpoint, reloadBatch(n, 20))
		}
	}()
	stopLoad := sync.OnceFunc(func() {
		close(stop)
		stopped.Wait()
	})
	defer stopLoad()
	WaitFor(t, 10*time.Second, "batches at the sink", func() bool { return sink.traceRequests() >= 5 })

	// A new price: in use within one check interval (plus the reload).
	written := time.Now()
	write(reloadPrices(3))
	waitReloads("ok", 1)
	var switched time.Duration
	WaitFor(t, 10*time.Second, "a batch priced at 3", func() bool {
		for _, b := range sink.traceBatches(0) {
			if b.costs[0] == 3 {
				at, _ := sentAt.Load(b.seq)
				switched = at.(time.Time).Sub(written)
				return true
			}
		}
		return false
	})
	t.Logf("first batch priced anew was sent %s after the write (check interval %s)", switched, reloadInterval)
	if switched > reloadInterval+500*time.Millisecond {
		t.Errorf("the new price came %s after the write, more than one check interval (%s) and 500 ms", switched, reloadInterval)
	}

	// A broken file: the old prices stay, the failure is counted.
	write(reloadBroken)
	waitReloads("failed", 1)
	mark := sink.traceRequests()
	WaitFor(t, 10*time.Second, "batches after the failed reload", func() bool { return sink.traceRequests() >= mark+5 })
	for _, b := range sink.traceBatches(mark) {
		if b.costs[0] != 3 {
			t.Fatalf("batch %d priced at %v after a refused file, want the last good price 3", b.seq, b.costs[0])
		}
	}
	if !strings.Contains(col.Output(), "cost.pricing_files[0]") {
		t.Errorf("the refusal is not logged with the core's message")
	}

	// 100 reloads more, alternating two prices, under the same load.
	var rss []int64
	prices := map[float64]bool{2: true, 3: true}
	var took []time.Duration
	for i := 1; i <= 110; i++ {
		price := float64(4 + i%2)
		prices[price] = true
		began := time.Now()
		write(reloadPrices(price))
		waitReloads("ok", 1+i)
		took = append(took, time.Since(began))
		if i%25 == 10 {
			rss = append(rss, vmRSS(t, col.cmd.Process.Pid))
		}
	}
	var total time.Duration
	for _, d := range took {
		total += d
	}
	t.Logf("110 reloads: %s on average from the write to the reload counted (interval %s)", total/time.Duration(len(took)), reloadInterval)
	var mib []string
	for _, r := range rss {
		mib = append(mib, fmt.Sprintf("%.1f", float64(r)/(1<<20)))
	}
	grown := rss[len(rss)-1] - rss[0]
	t.Logf("collector VmRSS after reloads 10, 35, 60, 85, 110: %s MiB (growth %+.1f MiB, bound %d MiB)",
		strings.Join(mib, ", "), float64(grown)/(1<<20), reloadRSSGrowthBound>>20)
	if grown > reloadRSSGrowthBound {
		t.Errorf("RSS grew by %d bytes over 100 reloads, bound %d", grown, reloadRSSGrowthBound)
	}
	if i := strings.LastIndex(col.Output(), "pricing files reloaded"); i >= 0 {
		line, _, _ := strings.Cut(col.Output()[i:], "\n")
		t.Logf("the last reload, as logged: %s", line)
	}

	// No batch mixes prices; every batch is priced at a price written.
	stopLoad()
	batches := sink.traceBatches(0)
	perPrice := map[float64]int{}
	for _, b := range batches {
		for _, c := range b.costs {
			if c != b.costs[0] {
				t.Fatalf("batch %d mixes prices: %v", b.seq, b.costs)
			}
		}
		if !prices[b.costs[0]] {
			t.Fatalf("batch %d priced at %v, never a price in the file", b.seq, b.costs[0])
		}
		perPrice[b.costs[0]]++
	}
	t.Logf("%d batches of 20 calls, per price: %v", len(batches), perPrice)

	// A model no table knows is named in the processor's gauge.
	unknown := reloadBatch(0, 3)
	spans := unknown.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < spans.Len(); i++ {
		spans.At(i).Attributes().PutStr("gen_ai.request.model", "acme-unknown-9")
	}
	SendTracesHTTP(t, col.HTTPEndpoint, unknown)
	WaitFor(t, 10*time.Second, "the unpriced model in the self-telemetry", func() bool {
		return promValue(col.Telemetry(t), "otelcol_processor_genai_unpriced_model_calls", `model="acme-unknown-9",`) == "3"
	})
	if tel := col.Telemetry(t); promValue(tel, "otelcol_processor_genai_errors", "") != "" {
		t.Errorf("batches failed:\n%s", tel)
	}
}
