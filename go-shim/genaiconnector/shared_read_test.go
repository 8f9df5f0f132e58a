package genaiconnector

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"
)

// totals is each series' (count, sum) of the last flush.
func totals(t *testing.T, f fixture) map[string][2]float64 {
	t.Helper()
	out := map[string][2]float64{}
	for k, ps := range points(t, f.sink.AllMetrics()) {
		last := ps[len(ps)-1].dp
		out[k] = [2]float64{float64(last.Count()), last.Sum()}
	}
	return out
}

// run sends batches to the connector, through the genai processor first
// when through is set, and returns the connector's totals after shutdown.
func run(t *testing.T, through bool, batches ...ptrace.Traces) (fixture, map[string][2]float64) {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, hourly(), "collector-7")
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	var in consumer.Traces = f.conn
	if through {
		pf := genaiprocessor.NewFactory()
		p, err := pf.CreateTraces(ctx, processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), f.conn)
		require.NoError(t, err)
		require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
		defer func() { require.NoError(t, p.Shutdown(ctx)) }()
		in = p
	}
	for _, td := range batches {
		require.NoError(t, in.ConsumeTraces(ctx, td))
	}
	require.NoError(t, f.conn.Shutdown(ctx))
	return f, totals(t, f)
}

// A genai processor before the connector reads each batch for it: the
// connector marshals none, and counts what it counts reading the batches
// itself.
func TestAProcessorBeforeTheConnectorReadsEachBatchOnce(t *testing.T) {
	direct, want := run(t, false, genaiBatch(), genaiBatch())
	assert.Equal(t, int64(2), direct.marshaled.Load())
	require.NotEmpty(t, want)

	shared, got := run(t, true, genaiBatch(), genaiBatch())
	assert.Equal(t, int64(0), shared.marshaled.Load(), "the processor's reading was taken")
	assert.Equal(t, want, got)

	// A batch replaced after the processor carries no reading for it: the
	// connector reads it itself.
	f := newFixture(t, hourly(), "")
	ctx := context.Background()
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	pf := genaiprocessor.NewFactory()
	copying := consumerFunc(func(ctx context.Context, td ptrace.Traces) error {
		c := ptrace.NewTraces()
		td.CopyTo(c)
		return f.conn.ConsumeTraces(ctx, c)
	})
	p, err := pf.CreateTraces(ctx, processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), copying)
	require.NoError(t, err)
	require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeTraces(ctx, genaiBatch()))
	require.NoError(t, p.Shutdown(ctx))
	require.NoError(t, f.conn.Shutdown(ctx))
	assert.Equal(t, int64(1), f.marshaled.Load(), "a copy is read by the connector")
	w := want[chatOpenAIDuration] // two batches' worth
	assert.Equal(t, [2]float64{w[0] / 2, w[1] / 2}, totals(t, f)[chatOpenAIDuration], "and counted alike")
}

const chatOpenAIDuration = "gen_ai.client.operation.duration oi-app " + chatOpenAI

type consumerFunc func(context.Context, ptrace.Traces) error

func (f consumerFunc) ConsumeTraces(ctx context.Context, td ptrace.Traces) error { return f(ctx, td) }
func (consumerFunc) Capabilities() consumer.Capabilities                         { return consumer.Capabilities{} }
