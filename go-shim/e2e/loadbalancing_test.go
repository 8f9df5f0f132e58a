//go:build e2e

package e2e

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestGatewayRoutesWholeTracesToOneReplica runs the topology a scale-out
// uses: a gateway otelcol-genai with contrib's loadbalancing exporter
// (routing by trace ID) in front of two otelcol-genai replicas, each with
// the genai processor, on loopback. Every span arrives, processed by the
// genai processor (its cost written), every trace lands whole on one
// replica, and both replicas get traces.
func TestGatewayRoutesWholeTracesToOneReplica(t *testing.T) {
	dir := filepath.Join(RepoRoot(t), "go-shim/e2e/testdata/loadbalancing")
	sinks := [2]*Sink{NewSink(t), NewSink(t)}
	var replicas [2]*Collector
	for i := range replicas {
		replicas[i] = Start(t, Options{
			Config: filepath.Join(dir, "replica.yaml"),
			Env:    map[string]string{"SINK_URL": sinks[i].URL},
		})
	}
	gateway := Start(t, Options{
		Config: filepath.Join(dir, "gateway.yaml"),
		Env: map[string]string{
			"REPLICA_A": replicas[0].GRPCEndpoint,
			"REPLICA_B": replicas[1].GRPCEndpoint,
		},
	})

	const traces, spansPerTrace = 40, 3
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for tr := range traces {
		var id pcommon.TraceID
		binary.BigEndian.PutUint64(id[8:], uint64(tr+1)*0x9e3779b97f4a7c15)
		for s := range spansPerTrace {
			span := spans.AppendEmpty()
			span.SetTraceID(id)
			span.SetSpanID(pcommon.SpanID{byte(tr), byte(s), 1})
			span.SetName("chat gpt-4o")
			a := span.Attributes()
			a.PutStr("gen_ai.provider.name", "openai")
			a.PutStr("gen_ai.request.model", "gpt-4o")
			a.PutInt("gen_ai.usage.input_tokens", 1000)
			a.PutInt("gen_ai.usage.output_tokens", 500)
		}
	}
	SendTracesGRPC(t, gateway.GRPCEndpoint, td)

	replicaOf := map[pcommon.TraceID]int{}
	var received [2]int
	require.Eventually(t, func() bool {
		received = [2]int{sinks[0].Traces().SpanCount(), sinks[1].Traces().SpanCount()}
		return received[0]+received[1] == traces*spansPerTrace
	}, exportTimeout, 100*time.Millisecond, "spans received by the replicas' sinks")
	for i, s := range sinks {
		rss := s.Traces().ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			sss := rss.At(r).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				ss := sss.At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					span := ss.At(k)
					if was, seen := replicaOf[span.TraceID()]; seen {
						require.Equal(t, was, i, "trace %s split between replicas", span.TraceID())
					}
					replicaOf[span.TraceID()] = i
					cost, ok := span.Attributes().Get("gen_ai.usage.cost")
					require.True(t, ok, "span not priced by the replica's genai processor")
					// gpt-4o on openai in the built-in table (LiteLLM): 2.5e-6 and 1e-5 USD per token.
					require.InDelta(t, 1000*2.5e-6+500*10e-6, cost.Double(), 1e-12)
				}
			}
		}
	}
	require.Len(t, replicaOf, traces)
	require.Positive(t, received[0], "replica A got no trace")
	require.Positive(t, received[1], "replica B got no trace")
	t.Logf("spans per replica: %v", received)
}
