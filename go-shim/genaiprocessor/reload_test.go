package genaiprocessor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
)

// pricesYAML is a pricing file pricing acme-chat at input USD per 1M
// input tokens, and acme-pinned (which the inline models override) at 1.
func pricesYAML(input float64) string {
	return fmt.Sprintf(`models:
  - model: acme-chat
    provider: acme
    input: %g
    output: 1.0
  - model: acme-pinned
    input: 1.0
    output: 1.0
`, input)
}

// brokenPrices is refused by the core: a price that is no number.
const brokenPrices = `models:
  - model: acme-chat
    input: "two dollars"
    output: 1.0
`

// reloading is a started traces processor with one pricing file, checked
// every 100 ms, and an inline price for acme-pinned of 7.
type reloading struct {
	t     *testing.T
	p     *genaiProcessor
	tel   *componenttest.Telemetry
	logs  *observer.ObservedLogs
	path  string
	write func(content string)
}

func newReloading(t *testing.T, initial string) *reloading {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prices.yaml")
	write := func(content string) {
		// Written aside and renamed, as editors and ConfigMap updates do:
		// a check never reads half a file.
		tmp := path + ".tmp"
		require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
		require.NoError(t, os.Rename(tmp, path))
	}
	write(initial)
	cfg := defaultConfig()
	cfg.PricingReload.Interval = minReloadInterval
	cfg.Cost = map[string]any{
		"pricing_files": []any{map[string]any{"path": path, "format": "yaml"}},
		"models":        []any{map[string]any{"model": "acme-pinned", "input": 7.0, "output": 7.0}},
	}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	set := metadatatest.NewSettings(tel)
	core, logs := observer.New(zapcore.InfoLevel)
	set.Logger = zap.New(core)
	p, err := newGenaiProcessor(set, cfg)
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, p.shutdown(context.Background()))
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	return &reloading{t: t, p: p, tel: tel, logs: logs, path: path, write: write}
}

// acmeCalls is a batch of n calls of model, each of 1M input tokens: its
// cost is the model's input price.
func acmeCalls(model string, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := range n {
		span := spans.AppendEmpty()
		span.SetName("chat " + model)
		span.SetSpanID([8]byte{byte(i + 1)})
		a := span.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "acme")
		a.PutStr("gen_ai.request.model", model)
		a.PutInt("gen_ai.usage.input_tokens", 1_000_000)
		a.PutInt("gen_ai.usage.output_tokens", 0)
	}
	return td
}

// costs are the batch's span costs, after the processor.
func (r *reloading) costs(model string, n int) []float64 {
	r.t.Helper()
	out, err := r.p.processTraces(context.Background(), acmeCalls(model, n))
	require.NoError(r.t, err)
	var costs []float64
	spans := out.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < spans.Len(); i++ {
		v, ok := spans.At(i).Attributes().Get("gen_ai.usage.cost")
		require.True(r.t, ok, "span %d has no cost", i)
		costs = append(costs, v.Double())
	}
	return costs
}

func (r *reloading) cost(model string) float64 { return r.costs(model, 1)[0] }

// reloads is otelcol_processor_genai_pricing_reloads{result}.
func (r *reloading) reloads(result string) int64 {
	m, err := r.tel.GetMetric("otelcol_processor_genai_pricing_reloads")
	if err != nil {
		return 0
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := dp.Attributes.Value("result"); v.AsString() == result {
			return dp.Value
		}
	}
	return 0
}

// waitReloads waits until the result's count is want, and says how long
// that took.
func (r *reloading) waitReloads(result string, want int64) time.Duration {
	r.t.Helper()
	began := time.Now()
	require.Eventually(r.t, func() bool { return r.reloads(result) >= want }, 5*time.Second, 5*time.Millisecond,
		"pricing_reloads{result=%s} reaching %d", result, want)
	assert.Equal(r.t, want, r.reloads(result), "result=%s", result)
	return time.Since(began)
}

// quiet checks that no reload happens over several check intervals.
func (r *reloading) quiet(ok, failed int64) {
	r.t.Helper()
	time.Sleep(5 * minReloadInterval)
	assert.Equal(r.t, ok, r.reloads("ok"), "reloads")
	assert.Equal(r.t, failed, r.reloads("failed"), "failed reloads")
}

func TestChangedPricingFileIsUsedByTheNextBatches(t *testing.T) {
	r := newReloading(t, pricesYAML(2))
	assert.InDelta(t, 2.0, r.cost("acme-chat"), 1e-9)
	assert.InDelta(t, 7.0, r.cost("acme-pinned"), 1e-9, "inline price")

	written := time.Now()
	r.write(pricesYAML(3))
	r.waitReloads("ok", 1)
	t.Logf("new price in use %s after the write (check interval %s)", time.Since(written), minReloadInterval)
	assert.Less(t, time.Since(written), 2*minReloadInterval+time.Second)
	assert.InDelta(t, 3.0, r.cost("acme-chat"), 1e-9)
	assert.InDelta(t, 7.0, r.cost("acme-pinned"), 1e-9, "inline prices keep their precedence over a reloaded file")
	assert.Equal(t, 1, r.logs.FilterMessage("genai: pricing files reloaded").Len())
}

func TestBrokenPricingFileKeepsTheOldPricesAndIsCountedAndLoggedOnce(t *testing.T) {
	r := newReloading(t, pricesYAML(2))
	r.write(brokenPrices)
	r.waitReloads("failed", 1)
	assert.InDelta(t, 2.0, r.cost("acme-chat"), 1e-9, "the last good prices stay")

	warned := r.logs.FilterMessageSnippet("could not be loaded").All()
	require.Len(t, warned, 1)
	assert.Equal(t, zapcore.WarnLevel, warned[0].Level)
	// The message a start with this file gets, from the core.
	startErr := r.p.cfg.Validate()
	require.Error(t, startErr)
	assert.Equal(t, startErr.Error(), warned[0].ContextMap()["error"])
	assert.Contains(t, startErr.Error(), "cost.pricing_files[0]")
	assert.Contains(t, startErr.Error(), "models[0].input")

	// The same failure again (other bytes, same message): counted, not logged.
	r.write(brokenPrices + "# still broken\n")
	r.waitReloads("failed", 2)
	assert.Len(t, r.logs.FilterMessageSnippet("could not be loaded").All(), 1)
	r.quiet(0, 2) // not tried again until the file changes

	// A missing file is a failure of its own, logged with the core's message.
	require.NoError(t, os.Remove(r.path))
	r.waitReloads("failed", 3)
	assert.Len(t, r.logs.FilterMessageSnippet("could not be loaded").All(), 2)
	assert.InDelta(t, 2.0, r.cost("acme-chat"), 1e-9)

	r.write(pricesYAML(4))
	r.waitReloads("ok", 1)
	assert.InDelta(t, 4.0, r.cost("acme-chat"), 1e-9)
}

func TestNoReloadWhenOnlyTheModificationTimeChanges(t *testing.T) {
	r := newReloading(t, pricesYAML(2))
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(r.path, later, later))
	r.quiet(0, 0)
	r.write(pricesYAML(2)) // the same bytes again: a new file, same content
	r.quiet(0, 0)
	assert.InDelta(t, 2.0, r.cost("acme-chat"), 1e-9)
}

// A file rewritten with bytes of the same size within one tick of the
// file system's clock keeps its modification time: the change is still
// seen, since a recent time is no proof of unchanged bytes.
func TestSameSizeRewriteWithinOneClockTickIsReloaded(t *testing.T) {
	r := newReloading(t, pricesYAML(1))
	info, err := os.Stat(r.path)
	require.NoError(t, err)
	r.write(pricesYAML(2))
	again, err := os.Stat(r.path)
	require.NoError(t, err)
	require.Equal(t, info.Size(), again.Size(), "the same size")
	require.NoError(t, os.Chtimes(r.path, info.ModTime(), info.ModTime()))
	r.waitReloads("ok", 1)
	assert.InDelta(t, 2.0, r.cost("acme-chat"), 1e-9)
}

func TestReloadsUnderLoadNeverMixPricesInABatch(t *testing.T) {
	r := newReloading(t, pricesYAML(1))
	const batchSpans = 200
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[float64]int{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				costs := r.costs("acme-chat", batchSpans)
				for _, c := range costs[1:] {
					if c != costs[0] {
						t.Errorf("a batch priced with %v and %v", costs[0], c)
						return
					}
				}
				mu.Lock()
				seen[costs[0]]++
				mu.Unlock()
			}
		}()
	}
	const reloads = 10
	for i := 2; i <= reloads+1; i++ {
		r.write(pricesYAML(float64(i)))
		r.waitReloads("ok", int64(i-1))
	}
	time.Sleep(50 * time.Millisecond) // batches on the last prices too
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("batches per price: %v", seen)
	assert.Positive(t, seen[float64(reloads+1)], "batches on the last prices")
	_, err := r.tel.GetMetric("otelcol_processor_genai_errors")
	assert.Error(t, err, "no batch failed (a closed processor is retried on the new one)")
}

func TestReloadIsOffWithoutFilesOrInterval(t *testing.T) {
	cfg := defaultConfig()
	cfg.PricingReload.Interval = 0
	cfg.Cost = map[string]any{"pricing_files": []any{map[string]any{"path": "testdata/config.yaml", "format": "yaml"}}}
	assert.Equal(t, []string{"testdata/config.yaml"}, pricingPaths(cfg.Cost))
	assert.Empty(t, pricingPaths(map[string]any{"enabled": false, "pricing_files": cfg.Cost["pricing_files"]}))
	assert.Equal(t, []string{"a"}, pricingPaths(map[string]any{"pricing_files": []map[string]any{{"path": "a"}}}))

	p, err := newGenaiProcessor(metadatatest.NewSettings(componenttest.NewTelemetry()), defaultConfig())
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	assert.Nil(t, p.reloadDone, "no pricing files, no watcher")
	require.NoError(t, p.shutdown(context.Background()))
}
