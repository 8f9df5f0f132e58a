//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Faults in the pipeline, with the built collector, the production config
// (examples/otelcol-genai-production.yaml) and a real VictoriaMetrics on
// loopback. The sleeps below shape the faults (how long a backend is away);
// nothing asserts on time. Each test logs its figures (sent, acknowledged,
// stored) for RELIABILITY.md.

const (
	envFileStorageDir = "FILE_STORAGE_DIR"
	probePoints       = 20                     // data points per request
	probeInterval     = 100 * time.Millisecond // between requests
	deliverTimeout    = 90 * time.Second
)

func productionEnv(t *testing.T, vm *restartableVM, storage string) map[string]string {
	return map[string]string{
		EnvVictoriaMetrics: vm.URL() + "/opentelemetry",
		envFileStorageDir:  storage,
		// Logs and traces are not sent here; their exporters point at
		// closed loopback ports.
		EnvVictoriaLogs:   "http://" + FreeAddr(t),
		EnvVictoriaTraces: "http://" + FreeAddr(t),
	}
}

// VictoriaMetrics goes away for 30 s in the middle of a bounded load and
// comes back on the same address and data: every point the collector
// acknowledged is stored, and the collector acknowledged every point sent.
func TestFaultVictoriaMetricsOutage(t *testing.T) {
	vm := startRestartableVM(t)
	col := Start(t, Options{Config: ProductionConfig(t), Env: productionEnv(t, vm, t.TempDir())})

	stop := make(chan struct{})
	result := runLoad("outage", func() string { return col.HTTPEndpoint }, probePoints, probeInterval, stop, nil)
	time.Sleep(3 * time.Second)
	vm.stop()
	t.Log("VictoriaMetrics stopped for 30 s")
	time.Sleep(30 * time.Second)
	vm.start()
	time.Sleep(3 * time.Second)
	close(stop)
	l := <-result

	require.Zero(t, l.refused, "the collector refused points while the backend was away")
	stored := waitStored(t, vm, "outage", l, deliverTimeout)
	t.Logf("FIGURES outage: sent=%d acknowledged=%d stored=%d", l.attempted, len(l.acked), stored)
	require.Equal(t, l.attempted, stored, "count in = count stored")
}

// The collector is killed with SIGKILL while VictoriaMetrics is away and
// the load goes on, so acknowledged points exist only in the persistent
// queue; a new collector on the same storage delivers every one of them.
func TestFaultCollectorSIGKILL(t *testing.T) {
	vm := startRestartableVM(t)
	env := productionEnv(t, vm, t.TempDir())
	env[EnvHTTPEndpoint] = FreeAddr(t) // the restarted collector listens where the first did
	first := Start(t, Options{Config: ProductionConfig(t), Env: env})

	stop := make(chan struct{})
	var acked atomic.Int64
	result := runLoad("sigkill", func() string { return first.HTTPEndpoint }, probePoints, probeInterval, stop, &acked)
	time.Sleep(2 * time.Second)
	vm.stop()
	ackedAtStop := acked.Load()
	time.Sleep(3 * time.Second)
	first.kill(t)
	onlyQueued := acked.Load() - ackedAtStop
	t.Log("collector SIGKILLed with VictoriaMetrics away")
	time.Sleep(time.Second)
	vm.start()
	Start(t, Options{Config: ProductionConfig(t), Env: env})
	time.Sleep(2 * time.Second)
	close(stop)
	l := <-result

	// Points acknowledged while VictoriaMetrics was away were, at the kill,
	// nowhere but in the persistent queue: the case under test.
	require.NotZero(t, onlyQueued, "no point was acknowledged while the backend was away")
	stored := waitStored(t, vm, "sigkill", l, deliverTimeout)
	t.Logf("FIGURES sigkill: sent=%d acknowledged=%d only_in_queue_at_kill=%d refused_while_down=%d stored=%d",
		l.attempted, len(l.acked), onlyQueued, l.refused, stored)
	require.GreaterOrEqual(t, stored, len(l.acked))
	require.LessOrEqual(t, stored, l.attempted, "nothing stored that was never sent")
}

// pricingConfig is a collector config whose genai processor reads one YAML
// pricing file and whose traces go to sinkURL.
func pricingConfig(t *testing.T, pricing, sinkURL string) string {
	cfg := `receivers:
  otlp:
    protocols:
      http:
        endpoint: ${env:OTLP_HTTP_ENDPOINT}
processors:
  genai:
    cost:
      pricing_files:
        - path: ` + pricing + `
          format: yaml
exporters:
  otlp_http:
    endpoint: ` + sinkURL + `
extensions:
  health_check:
    endpoint: ${env:HEALTH_CHECK_ENDPOINT}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [genai]
      exporters: [otlp_http]
`
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

const faultsPricing = "models:\n  - model: faults-model\n    input: 1000000\n    output: 2000000\n"

func pricedSpan(tokensIn, tokensOut int64) ptrace.Traces {
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("chat faults-model")
	a := s.Attributes()
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", "faults-model")
	a.PutInt("gen_ai.usage.input_tokens", tokensIn)
	a.PutInt("gen_ai.usage.output_tokens", tokensOut)
	return td
}

// The pricing file is read once at start-up: deleting it, then putting a
// corrupt one in its place, changes nothing for the running collector.
func TestFaultPricingFileChangesAfterStart(t *testing.T) {
	pricing := filepath.Join(t.TempDir(), "prices.yaml")
	require.NoError(t, os.WriteFile(pricing, []byte(faultsPricing), 0o600))
	sink := NewSink(t)
	col := Start(t, Options{Config: pricingConfig(t, pricing, sink.URL)})

	costs := func() []float64 {
		var out []float64
		td := sink.Traces()
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			ss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				spans := ss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					if v, ok := spans.At(k).Attributes().Get("gen_ai.usage.cost"); ok {
						out = append(out, v.Double())
					}
				}
			}
		}
		return out
	}
	// 1M USD per 1M input tokens and 2M per 1M output: 3 + 2*2 = 7 USD.
	send := func(want int) {
		SendTracesHTTP(t, col.HTTPEndpoint, pricedSpan(3, 2))
		WaitFor(t, exportTimeout, "a priced span at the sink", func() bool { return len(costs()) == want })
	}
	send(1)
	require.NoError(t, os.Remove(pricing))
	send(2)
	require.NoError(t, os.WriteFile(pricing, []byte("models: [ {model: broken, input: -1\n"), 0o600))
	send(3)
	require.Equal(t, []float64{7, 7, 7}, costs())
}

// A missing or corrupt pricing file at start-up stops the collector with a
// message naming the file and the problem.
func TestFaultBadPricingFileStopsStartup(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.yaml")
	require.NoError(t, os.WriteFile(corrupt, []byte("models:\n  - model: x\n    input: -1\n"), 0o600))
	cases := map[string]struct{ path, want string }{
		"missing": {filepath.Join(dir, "absent.yaml"), "absent.yaml"},
		"corrupt": {corrupt, "models[0]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, Binary(t), "--config="+pricingConfig(t, c.path, "http://"+FreeAddr(t)))
			cmd.Env = append(os.Environ(), EnvHTTPEndpoint+"="+FreeAddr(t), EnvHealthEndpoint+"="+FreeAddr(t))
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the collector started with a bad pricing file:\n%s", out)
			require.NotEqual(t, context.DeadlineExceeded, ctx.Err(), "the collector kept running:\n%s", out)
			msg := string(out)
			require.Contains(t, msg, c.want, msg)
			require.True(t, strings.Contains(msg, "genai"), "the message names the component:\n%s", msg)
			t.Logf("start-up refused (%s): %s", name, lastLine(msg))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// hostileLogs is a GenAI log record whose attributes the Rust core cannot
// decode: bytes that are not UTF-8 in a string, or a kvlist 10,000 deep.
func hostileLogs(deep bool) plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("chat completion")
	a := lr.Attributes()
	a.PutStr("gen_ai.system", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.prompt_tokens", 100)
	if deep {
		m := a.PutEmptyMap("gen_ai.deep")
		for i := 0; i < 10_000; i++ {
			m = m.PutEmptyMap("k")
		}
	} else {
		a.PutStr("gen_ai.completion", "caf\xe9 \xff")
	}
	return ld
}

// Batches the core cannot decode, sent to the real binary: accepted,
// exported unchanged, counted as decode errors; the collector stays up.
func TestFaultHostileBatchesThroughTheBinary(t *testing.T) {
	vl := NewSink(t)
	col := Start(t, Options{Env: map[string]string{
		EnvVictoriaMetrics: "http://" + FreeAddr(t),
		EnvVictoriaLogs:    vl.URL + "/insert/opentelemetry",
		EnvTracesFile:      filepath.Join(t.TempDir(), "traces.jsonl"),
	}})
	SendLogsHTTP(t, col.HTTPEndpoint, hostileLogs(false))
	SendLogsHTTP(t, col.HTTPEndpoint, hostileLogs(true))
	WaitFor(t, exportTimeout, "both records at the sink", func() bool { return vl.Logs().LogRecordCount() == 2 })

	got := vl.Logs().ResourceLogs()
	for i, deep := range []bool{false, true} {
		require.NoError(t, plogtest.CompareLogs(hostileLogs(deep), logsOf(got.At(i))), "batch %d changed", i)
	}
	tel := col.Telemetry(t)
	require.Equal(t, "2", promValue(tel, "otelcol_processor_genai_errors", `reason="decode_error"`), "%s", tel)
	resp, err := http.Get("http://" + col.HealthEndpoint + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the collector is still healthy")
}

func logsOf(rl plog.ResourceLogs) plog.Logs {
	ld := plog.NewLogs()
	rl.CopyTo(ld.ResourceLogs().AppendEmpty())
	return ld
}
