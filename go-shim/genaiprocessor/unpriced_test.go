package genaiprocessor

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// unpricedEntryBound is the heap one tracked pair may take: its names (at
// most maxUnpricedNameBytes each), the entry, its map slot and heap slot.
const unpricedEntryBound = 2*maxUnpricedNameBytes + 320

func TestUnpricedTallyIsBoundedAndAddsUp(t *testing.T) {
	const top, distinct = 20, 1000
	tally := newUnpricedTally(top)
	var total uint64
	var batch []ffi.UnknownModel
	for i := range distinct {
		calls := uint64(i%7 + 1)
		total += calls
		batch = append(batch, ffi.UnknownModel{Model: fmt.Sprintf("model-%04d-%s", i, strings.Repeat("x", 300)), Provider: "acme", Calls: calls})
		if i%10 == 0 {
			// A heavy hitter: a tenth of the batches call it 50 times.
			batch = append(batch, ffi.UnknownModel{Model: "hot-model", Provider: "acme", Calls: 50})
			total += 50
		}
		if len(batch) >= 16 {
			tally.add(append(batch, ffi.UnknownModel{Calls: 3})) // calls the core did not name
			total += 3
			batch = batch[:0]
		}
	}
	tally.add(batch)

	series := tally.series()
	require.Len(t, series, top+1, "top pairs and the overflow series")
	assert.Equal(t, "hot-model", series[0].model)
	assert.GreaterOrEqual(t, series[0].calls, uint64(100*50), "a heavy hitter keeps at least its calls")
	last := series[len(series)-1]
	assert.Equal(t, otherModel, last.model)
	assert.Empty(t, last.provider)
	var sum uint64
	for _, s := range series {
		sum += s.calls
		assert.LessOrEqual(t, len(s.model), maxUnpricedNameBytes)
	}
	assert.Equal(t, total, sum, "every call is in one series")

	pairs, nameBytes := tally.size()
	assert.Equal(t, trackedPairs(top), pairs)
	assert.LessOrEqual(t, nameBytes, pairs*2*maxUnpricedNameBytes)
	t.Logf("%d distinct models: %d pairs tracked, %d bytes of names", distinct, pairs, nameBytes)
}

func TestUnpricedTallyHeapStaysWithinItsBound(t *testing.T) {
	const top = 20
	heapNow := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// Names built beforehand, so that only the tally's copies are counted.
	names := make([]ffi.UnknownModel, 1000)
	for i := range names {
		names[i] = ffi.UnknownModel{Model: fmt.Sprintf("%04d%s", i, strings.Repeat("m", 400)), Provider: strings.Repeat("p", 400), Calls: 1}
	}
	// Many tallies at once, so that the heap's noise is small beside them.
	tallies := make([]*unpricedTally, 50)
	before := heapNow()
	for j := range tallies {
		tallies[j] = newUnpricedTally(top)
		for i := 0; i < len(names); i += 16 {
			tallies[j].add(names[i:min(i+16, len(names))])
		}
	}
	each := (heapNow() - before) / uint64(len(tallies))
	bound := uint64(trackedPairs(top) * unpricedEntryBound)
	t.Logf("tally of %d pairs after 1,000 distinct 400-byte names: %d bytes of heap (bound %d)", trackedPairs(top), each, bound)
	assert.LessOrEqual(t, each, bound)
	assert.GreaterOrEqual(t, each, uint64(trackedPairs(top)*2*maxUnpricedNameBytes), "the names at least")
	runtime.KeepAlive(tallies)
	runtime.KeepAlive(names)
}

func TestLabelValueIsShortValidUTF8(t *testing.T) {
	assert.Equal(t, "a\uFFFDb", labelValue("a\xffb"))
	long := strings.Repeat("é", 200) // 400 bytes
	got := labelValue(long)
	assert.Len(t, got, maxUnpricedNameBytes)
	assert.Equal(t, long[:maxUnpricedNameBytes], got)
	assert.Len(t, labelValue("x"+long), maxUnpricedNameBytes-1, "cut at a character boundary")
}

// unknownCalls is a batch of calls of each model named, through provider.
func unknownCalls(models []string, provider string) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, model := range models {
		a := spans.AppendEmpty().Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", provider)
		a.PutStr("gen_ai.request.model", model)
		a.PutInt("gen_ai.usage.input_tokens", 10)
	}
	return td
}

// startedWithTop is a started processor with unpriced_models.top set.
func startedWithTop(t *testing.T, top int) (*genaiProcessor, *componenttest.Telemetry) {
	t.Helper()
	cfg := defaultConfig()
	cfg.UnpricedModels.Top = top
	tel := componenttest.NewTelemetry()
	p, err := newGenaiProcessor(metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, p.shutdown(context.Background()))
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	return p, tel
}

func TestUnpricedModelsGaugeNamesTheTopModels(t *testing.T) {
	const top = 5
	p, tel := startedWithTop(t, top)

	// 1,000 distinct unknown models in batches of 10, each batch with 3
	// calls of acme-big on acme and 1 on other-cloud; a priced call too.
	var models []string
	for i := range 1000 {
		models = append(models, fmt.Sprintf("no-such-model-%d", i))
		if len(models) == 10 {
			batch := append(models, "acme-big", "acme-big", "acme-big", "gpt-4o")
			_, err := p.processTraces(context.Background(), unknownCalls(batch, "acme"))
			require.NoError(t, err)
			_, err = p.processTraces(context.Background(), unknownCalls([]string{"acme-big"}, "other-cloud"))
			require.NoError(t, err)
			models = models[:0]
		}
	}

	m, err := tel.GetMetric("otelcol_processor_genai_unpriced_model_calls")
	require.NoError(t, err)
	dps := m.Data.(metricdata.Gauge[int64]).DataPoints
	require.Len(t, dps, top+1)
	got := map[string]int64{}
	var sum int64
	for _, dp := range dps {
		model, _ := dp.Attributes.Value("model")
		provider, _ := dp.Attributes.Value("provider")
		got[model.AsString()+"/"+provider.AsString()] = dp.Value
		sum += dp.Value
	}
	assert.Equal(t, int64(300), got["acme-big/acme"])
	assert.Equal(t, int64(100), got["acme-big/other-cloud"])
	assert.Contains(t, got, "_other/")
	assert.Equal(t, int64(1000+300+100), sum, "every unpriced call in one series")
	pairs, nameBytes := p.unpriced.size()
	assert.LessOrEqual(t, pairs, trackedPairs(top))
	t.Logf("gauge: %d series; tally: %d pairs, %d bytes of names", len(dps), pairs, nameBytes)
}

func TestUnpricedModelsOff(t *testing.T) {
	p, tel := startedWithTop(t, 0)
	_, err := p.processTraces(context.Background(), unknownCalls([]string{"no-such-model"}, "acme"))
	require.NoError(t, err)
	assert.Nil(t, p.unpriced)
	_, err = tel.GetMetric("otelcol_processor_genai_unpriced_model_calls")
	assert.Error(t, err)
}
