//go:build e2e

package e2e

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// lbModels are the models of the load-balancing workload, with the tokens
// each call of theirs reports.
var lbModels = []struct {
	model         string
	input, output int64
}{
	{"gpt-4o", 1000, 500},
	{"gpt-4o-mini", 300, 120},
	{"o3-mini", 200, 400},
}

// lbTraces is one round of the load-balancing workload: traces traces of
// spansPerTrace model calls each (service service, a traces-only source:
// its calls are the genai connector's to count); every seventh call fails
// (HTTP 429, no usage). Trace ids are distinct per round.
func lbTraces(service string, round, traces, spansPerTrace int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	rs.Resource().Attributes().PutStr("deployment.environment", "lb")
	rs.Resource().Attributes().PutStr("telemetry.sdk.name", "opentelemetry")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("openinference.instrumentation.openai")
	spans := ss.Spans()
	now := time.Now()
	for tr := range traces {
		var id pcommon.TraceID
		binary.BigEndian.PutUint64(id[:8], uint64(round+1))
		binary.BigEndian.PutUint64(id[8:], uint64(tr+1)*0x9e3779b97f4a7c15)
		for s := range spansPerTrace {
			n := tr*spansPerTrace + s
			m := lbModels[n%len(lbModels)]
			span := spans.AppendEmpty()
			span.SetTraceID(id)
			span.SetSpanID(pcommon.SpanID{byte(round), byte(tr), byte(s), 1})
			span.SetName("chat " + m.model)
			span.SetKind(ptrace.SpanKindClient)
			span.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Duration(n+1) * 10 * time.Millisecond)))
			span.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
			a := span.Attributes()
			a.PutStr("gen_ai.operation.name", "chat")
			a.PutStr("gen_ai.provider.name", "openai")
			a.PutStr("gen_ai.request.model", m.model)
			if n%7 == 6 {
				span.Status().SetCode(ptrace.StatusCodeError)
				a.PutStr("error.type", "RateLimitError")
				continue
			}
			a.PutInt("gen_ai.usage.input_tokens", m.input)
			a.PutInt("gen_ai.usage.output_tokens", m.output)
		}
	}
	return td
}

// lbTotals are the dashboard's answers for the spans the collectors
// exported (processed: priced by the genai processor), one model call each.
func lbTotals(t *testing.T, td ptrace.Traces) RealTotals {
	w := newRealTotals()
	w.Derived = true
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		env, _ := td.ResourceSpans().At(i).Resource().Attributes().Get("deployment.environment")
		one := ptrace.NewTraces()
		td.ResourceSpans().At(i).CopyTo(one.ResourceSpans().AppendEmpty())
		for _, s := range LLMSpans(one) {
			w.addRequest(s.Model, s.Provider, s.Operation, env.AsString(), s.Failed)
			w.addObservations(s)
			if !s.Failed && !s.HasCost {
				t.Errorf("span of %s not priced by the genai processor", s.Model)
			}
		}
	}
	return w
}

// lbReplica is one otelcol-genai replica (testdata/loadbalancing/replica.yaml)
// on fixed ports, so that it can be stopped and started again where the
// gateway's static resolver sends its share.
type lbReplica struct {
	env  map[string]string
	sink *Sink
	col  *Collector
}

func startReplica(t *testing.T, vm *Server) *lbReplica {
	sink := NewSink(t)
	r := &lbReplica{sink: sink, env: map[string]string{
		"SINK_URL":         sink.URL,
		EnvVictoriaMetrics: vm.URL + "/opentelemetry",
		EnvGRPCEndpoint:    FreeAddr(t),
		EnvHTTPEndpoint:    FreeAddr(t),
		EnvHealthEndpoint:  FreeAddr(t),
		EnvTelemetryPort:   FreePort(t),
	}}
	r.start(t)
	return r
}

func (r *lbReplica) start(t *testing.T) {
	r.col = Start(t, Options{Config: filepath.Join(RepoRoot(t), "go-shim/e2e/testdata/loadbalancing/replica.yaml"), Env: r.env})
}

// TestGatewayRoutesWholeTracesToOneReplica runs the topology a scale-out
// uses: a gateway otelcol-genai with contrib's loadbalancing exporter
// (routing by trace ID) in front of two otelcol-genai replicas, each with
// the genai processor and the genai connector, both writing to one
// VictoriaMetrics, on loopback. Every span arrives, processed by the genai
// processor (its cost written), every trace lands whole on one replica,
// both replicas get traces; one replica is stopped (gracefully: its last
// flush keeps what it counted) and started again between two rounds. The
// shipped dashboard's panels then show exactly the spans' requests,
// errors, tokens and cost, the same as a single collector given the same
// spans: increase() over the range adds each replica's series and the
// restarted replica's new ones (a new otelcol.instance.id, a zero start).
func TestGatewayRoutesWholeTracesToOneReplica(t *testing.T) {
	bin := VictoriaBinDir(t)
	vm := StartServer(t, filepath.Join(bin, "victoria-metrics"), "-search.disableCache", "-search.latencyOffset=0s")
	replicas := [2]*lbReplica{startReplica(t, vm), startReplica(t, vm)}
	single := startReplica(t, vm)
	dir := filepath.Join(RepoRoot(t), "go-shim/e2e/testdata/loadbalancing")
	gateway := Start(t, Options{
		Config: filepath.Join(dir, "gateway.yaml"),
		Env: map[string]string{
			"REPLICA_A": replicas[0].env[EnvGRPCEndpoint],
			"REPLICA_B": replicas[1].env[EnvGRPCEndpoint],
		},
	})

	const traces, spansPerTrace = 40, 3
	const perRound = traces * spansPerTrace
	spansAt := func(rs ...*lbReplica) int {
		n := 0
		for _, r := range rs {
			n += r.sink.Traces().SpanCount()
		}
		return n
	}
	requestsIn := func(service string) float64 {
		got, err := Query(t, vm, fmt.Sprintf(`sum(last_over_time(gen_ai_client_operation_duration_seconds_count{service_name=%q}[10m]))`, service), time.Now())
		if err != nil || len(got) != 1 {
			return -1
		}
		return got[0].Value
	}
	for round := range 2 {
		if round == 1 {
			// Replica A stops with its round-0 counts flushed and
			// comes back as a new instance on the same address.
			replicas[0].col.Stop(t)
			replicas[0].start(t)
		}
		SendTracesGRPC(t, gateway.GRPCEndpoint, lbTraces("lb-replicas", round, traces, spansPerTrace))
		SendTracesGRPC(t, single.col.GRPCEndpoint, lbTraces("lb-single", round, traces, spansPerTrace))
		want := (round + 1) * perRound
		require.Eventually(t, func() bool { return spansAt(replicas[:]...) == want && spansAt(single) == want },
			exportTimeout, 100*time.Millisecond, "spans of round %d at the sinks", round)
		// The connector's series reach VictoriaMetrics (flush_interval 1s).
		require.Eventually(t, func() bool {
			return requestsIn("lb-replicas") == float64(want) && requestsIn("lb-single") == float64(want)
		}, exportTimeout, 100*time.Millisecond, "round %d's requests in VictoriaMetrics", round)
	}

	// Routing: every trace whole on one replica, priced there.
	replicaOf := map[pcommon.TraceID]int{}
	var received [2]int
	for i, r := range replicas {
		td := r.sink.Traces()
		received[i] = td.SpanCount()
		rss := td.ResourceSpans()
		for j := 0; j < rss.Len(); j++ {
			sss := rss.At(j).ScopeSpans()
			for k := 0; k < sss.Len(); k++ {
				ss := sss.At(k).Spans()
				for l := 0; l < ss.Len(); l++ {
					span := ss.At(l)
					if was, seen := replicaOf[span.TraceID()]; seen {
						require.Equal(t, was, i, "trace %s split between replicas", span.TraceID())
					}
					replicaOf[span.TraceID()] = i
					if span.Status().Code() == ptrace.StatusCodeError {
						continue
					}
					cost, ok := span.Attributes().Get("gen_ai.usage.cost")
					require.True(t, ok, "span not priced by the replica's genai processor")
					if m, _ := span.Attributes().Get("gen_ai.request.model"); m.AsString() == "gpt-4o" {
						// gpt-4o on openai in the built-in table (LiteLLM): 2.5e-6 and 1e-5 USD per token.
						require.InDelta(t, 1000*2.5e-6+500*10e-6, cost.Double(), 1e-12)
					}
				}
			}
		}
	}
	require.Len(t, replicaOf, 2*traces)
	require.Positive(t, received[0], "replica A got no trace")
	require.Positive(t, received[1], "replica B got no trace")
	t.Logf("spans per replica: %v", received)

	// The processed spans of both replicas, and of the single collector.
	both := ptrace.NewTraces()
	for _, r := range replicas {
		r.sink.Traces().ResourceSpans().MoveAndAppendTo(both.ResourceSpans())
	}
	want := lbTotals(t, both)
	wantSingle := lbTotals(t, single.sink.Traces())
	// The single collector's series all start with round 0's batch; the
	// replicas' do not (replica A's restart starts new ones), so panel
	// 56A's ratio of rate() sums is no ratio of totals for them.
	wantSingle.SameSpan = true
	// The same spans, priced alike (cost sums to 1e-9: added in another order).
	sameCost := func(a, b RealTotals) bool {
		ok := near(a.Cost, b.Cost) && len(a.CostByModel) == len(b.CostByModel) && len(a.CostByProvider) == len(b.CostByProvider)
		for k, v := range a.CostByModel {
			ok = ok && near(v, b.CostByModel[k])
		}
		for k, v := range a.CostByProvider {
			ok = ok && near(v, b.CostByProvider[k])
		}
		return ok
	}
	require.True(t, sameCost(want, wantSingle), "costs: replicas %v %v, single collector %v %v", want.Cost, want.CostByModel, wantSingle.Cost, wantSingle.CostByModel)
	same := wantSingle
	same.Cost, same.CostByModel, same.CostByProvider, same.SameSpan = want.Cost, want.CostByModel, want.CostByProvider, want.SameSpan
	require.Equal(t, want, same, "the replicas and the single collector got the same spans")
	t.Logf("expected: %v requests (%v errors), tokens %v in %v out, cost %.9g over %v calls, by model %v",
		want.Requests, want.Errors, want.InputTokens, want.OutputTokens, want.Cost, want.CostCount, want.CostByModel)

	// VictoriaMetrics' default flags keep the resource attribute's name.
	series, err := Query(t, vm, `last_over_time(gen_ai_client_operation_duration_seconds_count{service_name="lb-replicas"}[10m])`, time.Now())
	require.NoError(t, err)
	instances := map[string]bool{}
	for _, s := range series {
		instances[s.Labels["otelcol.instance.id"]] = true
	}
	require.Len(t, instances, 3, "series of replica A before and after its restart and of replica B: %v", instances)

	queries, err := ParseQueries(readRepoFile(t, OwnDashboardPath))
	require.NoError(t, err)
	at := time.Now()
	for service, want := range map[string]RealTotals{"lb-replicas": want, "lb-single": wantSingle} {
		t.Run(service, func(t *testing.T) {
			checked := 0
			for _, q := range queries {
				if q.Logs || !lbChecked[q.PanelID] {
					continue
				}
				q.Expr = strings.ReplaceAll(q.Expr, "$service_name", service)
				got := realQuery(t, vm, q, at)
				checkRealPanel(t, "own", q, got, want)
				checked++
			}
			t.Logf("%s: %d panel queries checked (56A exactly: %v)", service, checked, want.SameSpan)
		})
	}
}

// lbChecked are the shipped dashboard's panels with totals (requests,
// errors, tokens, cost) that checkRealPanel compares exactly.
var lbChecked = map[int]bool{22: true, 3: true, 2: true, 5: true, 6: true, 55: true, 56: true,
	65: true, 70: true, 69: true, 68: true, 67: true, 29: true, 66: true, 32: true}
