//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// deployReplica is one otelcol-genai replica started with
// examples/gateway/replica.yaml as docs/deployment.md runs it.
type deployReplica struct {
	col    *Collector
	traces string // its file/traces output
}

// deployMetrics is a GenAI token usage batch from an instrumentation that
// sends metrics: streams cumulative gen_ai.client.token.usage histograms
// (input and output for each model of lbModels, one resource per stream
// group so that streamID routing has several streams to spread), each
// with calls operations.
func deployMetrics(service string, streams, calls int, at time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for s := range streams {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", service)
		rm.Resource().Attributes().PutStr("service.instance.id", fmt.Sprintf("app-%d", s))
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("opentelemetry.instrumentation.openai_v2")
		m := sm.Metrics().AppendEmpty()
		m.SetName("gen_ai.client.token.usage")
		m.SetUnit("{token}")
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		model := lbModels[s%len(lbModels)]
		for _, tt := range []struct {
			typ    string
			tokens int64
		}{{"input", model.input}, {"output", model.output}} {
			p := h.DataPoints().AppendEmpty()
			p.SetStartTimestamp(pcommon.NewTimestampFromTime(at.Add(-time.Minute)))
			p.SetTimestamp(pcommon.NewTimestampFromTime(at))
			a := p.Attributes()
			a.PutStr("gen_ai.operation.name", "chat")
			a.PutStr("gen_ai.provider.name", "openai")
			a.PutStr("gen_ai.request.model", model.model)
			a.PutStr("gen_ai.token.type", tt.typ)
			p.SetCount(uint64(calls))
			p.SetSum(float64(tt.tokens * int64(calls)))
			p.ExplicitBounds().FromRaw([]float64{100, 1000})
			p.BucketCounts().FromRaw([]uint64{0, uint64(calls), 0})
		}
	}
	return md
}

// acceptedPoints reads otelcol_receiver_accepted_metric_points of a
// collector's own telemetry (summed over transports).
var acceptedPointsRe = regexp.MustCompile(`(?m)^otelcol_receiver_accepted_metric_points(?:_total)?\{[^}]*receiver="otlp"[^}]*\} (\S+)$`)

func acceptedPoints(t *testing.T, c *Collector) float64 {
	t.Helper()
	n := 0.0
	for _, m := range acceptedPointsRe.FindAllStringSubmatch(c.Telemetry(t), -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		n += v
	}
	return n
}

// wholeTraces maps every trace of the replicas' outputs to the replica that
// got it, failing when a trace's spans are on two replicas or a successful
// call's span was not priced there.
func wholeTraces(t *testing.T, outputs []ptrace.Traces) map[pcommon.TraceID]int {
	t.Helper()
	replicaOf := map[pcommon.TraceID]int{}
	for i, td := range outputs {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					if was, seen := replicaOf[span.TraceID()]; seen && was != i {
						t.Fatalf("trace %s split between replicas %d and %d", span.TraceID(), was, i)
					}
					replicaOf[span.TraceID()] = i
					if _, priced := span.Attributes().Get("gen_ai.usage.cost"); !priced && span.Status().Code() != ptrace.StatusCodeError {
						t.Fatalf("span %s of trace %s not priced by replica %d's genai processor", span.SpanID(), span.TraceID(), i)
					}
				}
			}
		}
	}
	return replicaOf
}

// TestDeploymentGatewayOnLoopback runs docs/deployment.md's topology as
// written, from its configuration files: the front collector
// (examples/gateway/front.yaml, contrib's loadbalancing exporters) in front
// of two otelcol-genai replicas (examples/gateway/replica.yaml: genai
// processor and connector, persistent queues in file_storage,
// memory_limiter), writing to VictoriaMetrics and VictoriaLogs. GenAI spans
// (a traces-only source) and GenAI token usage metrics go in at the front;
// VictoriaMetrics then holds the connector's series of both replicas (two
// otelcol.instance.id values) adding up to the calls sent, and the metric
// points of both replicas adding up to the tokens sent, and every span is
// in one replica's traces file, every trace whole.
func TestDeploymentGatewayOnLoopback(t *testing.T) {
	bin := VictoriaBinDir(t)
	vm := StartServer(t, filepath.Join(bin, "victoria-metrics"), "-search.disableCache", "-search.latencyOffset=0s")
	vl := StartServer(t, filepath.Join(bin, "victoria-logs"))
	examples := filepath.Join(RepoRoot(t), "examples", "gateway")

	var replicas [2]deployReplica
	for i := range replicas {
		dir := t.TempDir()
		replicas[i].traces = filepath.Join(dir, "traces.jsonl")
		replicas[i].col = Start(t, Options{Config: filepath.Join(examples, "replica.yaml"), Env: map[string]string{
			"FILE_STORAGE_DIR":        dir,
			EnvTracesFile:             replicas[i].traces,
			EnvVictoriaMetrics:        vm.URL + "/opentelemetry",
			EnvVictoriaLogs:           vl.URL + "/insert/opentelemetry",
			EnvConnectorFlushInterval: "1s",
		}})
	}
	front := Start(t, Options{Config: filepath.Join(examples, "front.yaml"), Env: map[string]string{
		"REPLICA_A": replicas[0].col.GRPCEndpoint,
		"REPLICA_B": replicas[1].col.GRPCEndpoint,
	}})

	const traces, spansPerTrace = 60, 3
	td := lbTraces("deploy-traces", 0, traces, spansPerTrace)
	var calls, inputTokens float64
	for _, s := range LLMSpans(td) {
		calls++
		inputTokens += s.Input
	}
	const streams, callsPerStream = 24, 5
	md := deployMetrics("deploy-metrics", streams, callsPerStream, time.Now())
	var metricTokens float64
	for i := range streams {
		m := lbModels[i%len(lbModels)]
		metricTokens += float64((m.input + m.output) * callsPerStream)
	}
	SendTracesGRPC(t, front.GRPCEndpoint, td)
	SendMetricsGRPC(t, front.GRPCEndpoint, md)

	// Every span in one replica's traces file, priced there, each trace whole.
	WaitFor(t, exportTimeout, "spans in the replicas' traces files", func() bool {
		return readTracesFile(t, replicas[0].traces).SpanCount()+readTracesFile(t, replicas[1].traces).SpanCount() == traces*spansPerTrace
	})
	got := [2]ptrace.Traces{readTracesFile(t, replicas[0].traces), readTracesFile(t, replicas[1].traces)}
	replicaOf := wholeTraces(t, got[:])
	spansAt := [2]int{got[0].SpanCount(), got[1].SpanCount()}
	require.Len(t, replicaOf, traces)
	require.Positive(t, spansAt[0], "replica A got no span")
	require.Positive(t, spansAt[1], "replica B got no span")

	// The metric streams, spread over both replicas by stream ID.
	var pointsAt [2]float64
	WaitFor(t, exportTimeout, "metric points at both replicas", func() bool {
		pointsAt = [2]float64{acceptedPoints(t, replicas[0].col), acceptedPoints(t, replicas[1].col)}
		return pointsAt[0]+pointsAt[1] == 2*streams
	})
	require.Positive(t, pointsAt[0], "replica A got no metric point")
	require.Positive(t, pointsAt[1], "replica B got no metric point")

	// VictoriaMetrics: the connector's series of both replicas (one
	// otelcol.instance.id each) add up to the calls sent.
	perInstance := func() map[string]float64 {
		got, err := Query(t, vm, `sum by (otelcol.instance.id) (last_over_time(gen_ai_client_operation_duration_seconds_count{service_name="deploy-traces"}[10m]))`, time.Now())
		if err != nil {
			return nil
		}
		out := map[string]float64{}
		for _, s := range got {
			out[s.Labels["otelcol.instance.id"]] = s.Value
		}
		return out
	}
	total := func(expr string) float64 {
		got, err := Query(t, vm, expr, time.Now())
		if err != nil || len(got) != 1 {
			return -1
		}
		return got[0].Value
	}
	var instances map[string]float64
	WaitFor(t, exportTimeout, "the connector's series of both replicas in VictoriaMetrics", func() bool {
		instances = perInstance()
		sum := 0.0
		for _, v := range instances {
			sum += v
		}
		return len(instances) == 2 && sum == calls
	})
	for id, n := range instances {
		require.Positive(t, n, "replica %s counted no call", id)
	}
	inputExpr := `sum(last_over_time(gen_ai_client_token_usage_sum{service_name="deploy-traces", gen_ai_token_type="input"}[10m]))`
	metricsExpr := `sum(last_over_time(gen_ai_client_token_usage_sum{service_name="deploy-metrics"}[10m]))`
	WaitFor(t, exportTimeout, "token totals in VictoriaMetrics", func() bool {
		return total(inputExpr) == inputTokens && total(metricsExpr) == metricTokens
	})
	t.Logf("spans per replica %v; metric points per replica %v; calls per replica instance %v; input tokens from spans %v, tokens from metrics %v",
		spansAt, pointsAt, instances, inputTokens, metricTokens)
}
