//go:build genai_test_abi

package genaiprocessor

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/testdata"
)

// The tests that hold what the component makes of a batch against the
// core's whole-batch answer, which only the test build of the core has
// (`make lib-test-abi`, tag genai_test_abi).

// coreResult is what one direct call to the Rust core makes of a batch:
// the decoded output when it changed, otherwise the input itself.
func coreResult[T any](t *testing.T, sig ffi.Signal, in T, marshal func(T) ([]byte, error), unmarshal func([]byte) (T, error)) (T, bool) {
	t.Helper()
	doc, err := defaultConfig().coreJSON()
	require.NoError(t, err)
	core, err := ffi.New(doc)
	require.NoError(t, err)
	defer core.Close()
	b, err := marshal(in)
	require.NoError(t, err)
	out := in
	outcome, err := core.Process(sig, b, func(o []byte) error {
		out, err = unmarshal(o)
		return err
	})
	require.NoError(t, err)
	return out, outcome.Changed
}

func TestGenAIBatchesAreWhatTheCoreProduced(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	ctx := context.Background()
	anyChanged := false

	wantT, changed := coreResult(t, ffi.Traces, genaiTraces(), (&ptrace.ProtoMarshaler{}).MarshalTraces, (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces)
	anyChanged = anyChanged || changed
	require.NoError(t, h.traces.ConsumeTraces(ctx, genaiTraces()))
	require.NoError(t, ptracetest.CompareTraces(wantT, h.tSink.AllTraces()[0]))

	wantM, changed := coreResult(t, ffi.Metrics, genaiMetrics(), (&pmetric.ProtoMarshaler{}).MarshalMetrics, (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics)
	anyChanged = anyChanged || changed
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, genaiMetrics()))
	require.NoError(t, pmetrictest.CompareMetrics(wantM, h.mSink.AllMetrics()[0]))

	wantL, changed := coreResult(t, ffi.Logs, genaiLogs(), (&plog.ProtoMarshaler{}).MarshalLogs, (&plog.ProtoUnmarshaler{}).UnmarshalLogs)
	anyChanged = anyChanged || changed
	require.NoError(t, h.logs.ConsumeLogs(ctx, genaiLogs()))
	require.NoError(t, plogtest.CompareLogs(wantL, h.lSink.AllLogs()[0]))

	// The inputs are built to trigger the core's default stages (token
	// usage metric naming, legacy attribute normalization); if none
	// changed anything, the comparisons above proved nothing.
	require.True(t, anyChanged, "the core changed none of the GenAI-shaped batches")
	_, err := h.tel.GetMetric("otelcol_processor_genai_errors")
	require.Error(t, err, "no error was counted")
}

func TestConcurrentConsumers(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	want, _ := coreResult(t, ffi.Metrics, genaiMetrics(), (&pmetric.ProtoMarshaler{}).MarshalMetrics, (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics)
	const goroutines, batches = 8, 25
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range batches {
				assert.NoError(t, h.metrics.ConsumeMetrics(context.Background(), genaiMetrics()))
				assert.NoError(t, h.traces.ConsumeTraces(context.Background(), testdata.GenerateTraces(3)))
			}
		})
	}
	wg.Wait()
	require.Len(t, h.mSink.AllMetrics(), goroutines*batches)
	for _, got := range h.mSink.AllMetrics() {
		require.NoError(t, pmetrictest.CompareMetrics(want, got))
	}
	for _, got := range h.tSink.AllTraces() {
		require.NoError(t, ptracetest.CompareTraces(testdata.GenerateTraces(3), got))
	}
	assertSignalSum(t, h.tel, "otelcol_processor_genai_batches", "metrics", goroutines*batches)
	assertSignalSum(t, h.tel, "otelcol_processor_genai_batches", "traces", goroutines*batches)
}

// editsAgree checks that the core's edits, applied to a copy of batch,
// give byte for byte (once marshaled) the batch it returns whole; it
// returns whether the core answered with edits.
func editsAgree[T any](t *testing.T, core *ffi.Processor, c testCodec[T], batch T, what string) bool {
	in, err := c.marshal(batch)
	require.NoError(t, err)
	var want []byte
	_, err = core.Process(c.signal, in, func(b []byte) error {
		whole, err := c.unmarshal(b)
		require.NoError(t, err)
		want, err = c.marshal(whole)
		return err
	})
	require.NoError(t, err)
	got := c.clone(batch)
	asEdits := false
	outcome, err := core.Edit(context.Background(), c.signal, in, func(b []byte, edits bool) error {
		if !edits {
			// Changes edits do not express (points added up by the
			// cardinality guard) come whole: the same answer as Process.
			whole, err := c.unmarshal(b)
			got = whole
			return err
		}
		asEdits = true
		return c.applyEdits(got, b)
	})
	require.NoError(t, err)
	if !outcome.Changed {
		require.Nil(t, want, what)
		return false
	}
	gotBytes, err := c.marshal(got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, gotBytes), "%s: edited batch differs", what)
	return asEdits
}

// Edits applied to the batch give, byte for byte once marshaled, the
// batch the core returns whole.
func TestEditsGiveWhatTheCoreReturnsWhole(t *testing.T) {
	traces, logs, metrics := capturedBatches(t)
	edited := 0
	count := func(changed bool) {
		if changed {
			edited++
		}
	}
	for _, config := range editConfigs {
		core, err := ffi.New([]byte(config))
		require.NoError(t, err)
		for name, td := range traces {
			count(editsAgree(t, core, tracesTest, td, "traces "+name+" with "+config))
		}
		for name, ld := range logs {
			count(editsAgree(t, core, logsTest, ld, "logs "+name+" with "+config))
		}
		for name, md := range metrics {
			count(editsAgree(t, core, metricsTest, md, "metrics "+name+" with "+config))
		}
		require.NoError(t, core.Close())
	}
	assert.GreaterOrEqual(t, edited, 3*len(editConfigs), "edits were exercised")
}
