//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// RealSpan is an LLM-call span reduced to what the checks compare.
type RealSpan struct {
	Model         string
	Provider      string
	Operation     string
	Failed        bool
	Input, Output float64
	HasTokens     bool
	HasOutput     bool
	// cache and reasoning tokens, where the library reports them
	CacheRead, CacheCreation, Reasoning float64
	Cost                                float64
	HasCost                             bool
	// FirstChunk: seconds from the span's start to its earliest
	// gen_ai.content.completion.chunk event within the span (OpenLLMetry's
	// streams: an event per chunk).
	FirstChunk    float64
	HasFirstChunk bool
}

// completionChunkEvent is the event OpenLLMetry adds to a stream's span per
// chunk.
const completionChunkEvent = "gen_ai.content.completion.chunk"

// firstChunk is the seconds from sp's start to its earliest chunk event
// within the span, if any.
func firstChunk(sp ptrace.Span) (float64, bool) {
	start, end := sp.StartTimestamp(), sp.EndTimestamp()
	first, found := end, false
	for i := 0; i < sp.Events().Len(); i++ {
		e := sp.Events().At(i)
		if ts := e.Timestamp(); e.Name() == completionChunkEvent && ts >= start && ts <= end && ts <= first {
			first, found = ts, true
		}
	}
	return float64(first-start) / 1e9, found
}

// LLMSpans lists the spans of td that are LLM calls: they carry a request
// model (OpenLIT 1.33's failed calls carry none: they are left out, the
// checks only read successful calls' tokens and costs).
func LLMSpans(td ptrace.Traces) []RealSpan {
	var out []RealSpan
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		ss := td.ResourceSpans().At(i).ScopeSpans()
		for j := 0; j < ss.Len(); j++ {
			spans := ss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				a := sp.Attributes()
				model, ok := a.Get("gen_ai.request.model")
				if !ok {
					continue
				}
				s := RealSpan{Model: model.AsString(), Failed: sp.Status().Code() == ptrace.StatusCodeError}
				if v, ok := a.Get("gen_ai.operation.name"); ok {
					s.Operation = v.AsString()
				}
				if v, ok := a.Get("gen_ai.provider.name"); ok {
					s.Provider = v.AsString()
				}
				if _, ok := a.Get("error.type"); ok {
					s.Failed = true
				}
				s.Input, s.HasTokens = number(a, "gen_ai.usage.input_tokens")
				s.Output, s.HasOutput = number(a, "gen_ai.usage.output_tokens")
				s.CacheRead, _ = number(a, "gen_ai.usage.cache_read.input_tokens")
				s.CacheCreation, _ = number(a, "gen_ai.usage.cache_creation.input_tokens")
				s.Reasoning, _ = number(a, "gen_ai.usage.reasoning.output_tokens")
				s.FirstChunk, s.HasFirstChunk = firstChunk(sp)
				s.Cost, s.HasCost = number(a, "gen_ai.usage.cost")
				if !s.HasCost {
					// LiteLLM's own cost, before normalization maps it
					// to gen_ai.usage.cost.
					s.Cost, s.HasCost = number(a, "gen_ai.cost.total_cost")
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// notModelCalls are the operations that call no model (the genai
// connector's rule, go-shim/genaiconnector/README.md).
var notModelCalls = map[string]bool{"invoke_agent": true, "create_agent": true, "execute_tool": true,
	"invoke_workflow": true, "retrieval": true}

// ModelCall: the span is one model call as the genai connector counts it:
// an operation that calls a model, or (no operation) token usage.
func (s RealSpan) ModelCall() bool {
	if s.Operation == "" {
		return s.HasTokens || s.HasOutput
	}
	return !notModelCalls[s.Operation]
}

func number(a pcommon.Map, key string) (float64, bool) {
	v, ok := a.Get(key)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	}
	return 0, false
}

// Call is the span's usage as a call of provider, for pricing.
func (s RealSpan) Call(provider string) RealCall {
	return RealCall{Model: s.Model, Provider: provider, InputTokens: s.Input, OutputTokens: s.Output,
		CachedTokens: s.CacheRead, CacheCreationTokens: s.CacheCreation, ReasoningTokens: s.Reasoning}
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// RealTotals is what the dashboard must show for one library run.
type RealTotals struct {
	Requests, Errors                 float64
	ByModel, ByProvider, ByOperation map[string]float64
	ByEnvironment                    map[string]float64
	InputTokens, OutputTokens        float64
	Cost, CostCount                  float64            // the dashboard's cost histogram
	CostByModel, CostByProvider      map[string]float64 // ditto
	LibraryCost, OurCost             map[string]float64 // per model, for the report
	// ProcessorCost: per model, the costs on the spans the collector
	// exported (the library's own, except where it wrote 0 and the
	// processor filled in its price: replace_zero).
	ProcessorCost map[string]float64
	// APICost: per model, the table's prices x the usage the fake API
	// reported (cache and reasoning tokens included, whether or not the
	// library passes them on).
	APICost                        map[string]float64
	LibraryCostTotal, OurCostTotal float64
	Unpriced                       []string // models the helper cannot price exactly (derived: models whose successful calls carry no cost)
	// Derived: the metrics are the genai connector's, from the spans (a
	// traces-only library); InputCount and OutputCount are then its token
	// observations (calls whose span has input, output tokens).
	Derived                 bool
	InputCount, OutputCount float64
	// SameSpan: every series spans the same time (born in one batch of
	// spans, flushed by one collector), so a ratio of rate() sums (panel
	// 56A) is a ratio of increases: rate() divides each series' increase
	// by its own time span in the window.
	SameSpan bool
	// FirstChunksByProvider, FirstChunksByModel: derived, the spans'
	// first-chunk times (RealSpan.FirstChunk), the connector's time to
	// first token where chunk events state it.
	FirstChunksByProvider, FirstChunksByModel map[string][]float64
	EstimatedModels                           []string
	tokensByModelIn, tokensByModelOut         map[string]float64
}

// MetricQuirks are facts of a library's own metrics that put a call
// elsewhere on the dashboard than the call itself (tests/realinstr/harness.py
// Library, docs/instrumentation.md).
type MetricQuirks struct {
	// ErrorsWithoutModel: a failed call's duration point carries error.type
	// alone (no model, provider or operation): OpenLLMetry's openai
	// instrumentation.
	ErrorsWithoutModel bool
	// NoOperationFor: providers whose points name no operation
	// (OpenLLMetry's anthropic instrumentation).
	NoOperationFor []string
	// AnthropicInputIncludesCache: the Anthropic input tokens the library
	// reports include the cache reads and writes, which the API counts
	// apart (OpenLLMetry).
	AnthropicInputIncludesCache bool
}

// ExpectRealTotals computes the dashboard's answers from what the app did
// (run), the spans before the processor (raw: the library's own cost) and
// after it (processed), and the built-in price table, for a library whose
// metrics have quirks q.
func ExpectRealTotals(t *testing.T, run RealRun, raw, processed []RealSpan, prices PriceTable, q MetricQuirks) RealTotals {
	w := newRealTotals()
	provider := map[string]string{}
	estimated := map[string]bool{}
	for _, c := range run.Calls {
		provider[c.Model] = c.Provider
		if c.InMetrics {
			model, prov, op := c.Model, c.Provider, c.Operation
			if slices.Contains(q.NoOperationFor, prov) {
				op = ""
			}
			if q.ErrorsWithoutModel && c.Failed() {
				model, prov, op = "", "", ""
			}
			w.addRequest(model, prov, op, run.Environment, c.Failed())
		}
		switch c.Tokens {
		case "exact":
			w.tokensByModelIn[c.Model] += c.InputTokens
			if q.AnthropicInputIncludesCache && c.Provider == "anthropic" {
				w.tokensByModelIn[c.Model] += c.CachedTokens + c.CacheCreationTokens
			}
			if c.Operation == "chat" {
				w.tokensByModelOut[c.Model] += c.OutputTokens
			}
		case "estimated":
			estimated[c.Model] = true
		}
	}
	// The library's own token estimates are on its spans.
	for m := range estimated {
		for _, c := range run.Calls {
			if c.Model == m && c.Tokens == "exact" {
				t.Fatalf("model %s has exact and estimated calls: the test cannot tell them apart", m)
			}
		}
		w.EstimatedModels = append(w.EstimatedModels, m)
		for _, s := range processed {
			if s.Model == m && !s.Failed && s.HasTokens {
				w.tokensByModelIn[m] += s.Input
				w.tokensByModelOut[m] += s.Output
			}
		}
	}
	sort.Strings(w.EstimatedModels)
	for m, v := range w.tokensByModelIn {
		w.InputTokens += v
		w.OutputTokens += w.tokensByModelOut[m]
	}

	// Our cost: the table's prices x the tokens each call's span reports
	// (what the processor can see: the official instrumentation reports no
	// cache tokens, OpenLIT 1.33 its own estimates for streams).
	for _, sp := range processed {
		if sp.Failed || !sp.HasTokens {
			continue
		}
		p, err := prices.Lookup(sp.Model, provider[sp.Model])
		if err != nil {
			w.Unpriced = appendOnce(w.Unpriced, sp.Model)
			continue
		}
		w.OurCost[sp.Model] += p.CallCost(sp.Call(provider[sp.Model]))
	}
	for _, c := range run.Calls {
		if p, err := prices.Lookup(c.Model, c.Provider); err == nil && !c.Failed() && c.InMetrics {
			w.APICost[c.Model] += p.CallCost(c)
		}
	}
	for _, sp := range processed {
		if sp.HasCost && !sp.Failed {
			w.ProcessorCost[sp.Model] += sp.Cost
		}
	}
	for _, v := range w.OurCost {
		w.OurCostTotal += v
	}
	for _, s := range raw {
		if s.HasCost && !s.Failed {
			w.LibraryCost[s.Model] += s.Cost
			w.LibraryCostTotal += s.Cost
		}
	}

	if run.ComputesCost {
		// The dashboard shows the library's own cost histogram, which the
		// processor never alters: the per-call costs the library wrote on
		// its spans, one histogram count per call it records.
		for m, v := range w.LibraryCost {
			w.CostByModel[m] += v
			w.CostByProvider[provider[m]] += v
		}
		w.Cost = w.LibraryCostTotal
		w.CostCount = w.Requests
	} else {
		// The processor derives the cost from the token metrics: all input
		// at the input price, all output at the output price. A model not in
		// the table gets no cost (claude-3-5-haiku-latest:
		// docs/instrumentation.md).
		unpriced := map[string]bool{}
		for m, in := range w.tokensByModelIn {
			p, err := prices.Lookup(m, provider[m])
			if err != nil {
				unpriced[m] = true
				w.Unpriced = appendOnce(w.Unpriced, m)
				continue
			}
			v := p.MetricCost(in, w.tokensByModelOut[m])
			w.CostByModel[m] += v
			w.CostByProvider[provider[m]] += v
			w.Cost += v
		}
		for _, c := range run.Calls {
			if c.Tokens != "none" && !unpriced[c.Model] {
				w.CostCount++
			}
		}
	}
	return w
}

func newRealTotals() RealTotals {
	return RealTotals{
		ByModel: map[string]float64{}, ByProvider: map[string]float64{}, ByOperation: map[string]float64{},
		ByEnvironment: map[string]float64{}, CostByModel: map[string]float64{}, CostByProvider: map[string]float64{},
		LibraryCost: map[string]float64{}, OurCost: map[string]float64{}, ProcessorCost: map[string]float64{},
		APICost:               map[string]float64{},
		FirstChunksByProvider: map[string][]float64{}, FirstChunksByModel: map[string][]float64{},
		tokensByModelIn: map[string]float64{}, tokensByModelOut: map[string]float64{},
	}
}

// ExpectDerivedTotals computes the dashboard's answers for a library that
// sends traces only, whose metrics the genai connector derives from its
// spans: requests and errors are the calls the app made (a failed call
// counts, with its error_type), tokens and cost are what the processed
// spans carry (the connector reads them after the processor priced them),
// one observation per model call. The spans must hold exactly one model
// call per call the app made, per model.
func ExpectDerivedTotals(t *testing.T, run RealRun, processed []RealSpan, prices PriceTable) RealTotals {
	w := newRealTotals()
	w.Derived = true
	// The app's spans reach the collector in one batch per round (its SDK
	// flushes them at exit), so every series starts in the first.
	w.SameSpan = true
	wantCalls := map[string]int{}
	for _, c := range run.Calls {
		w.addRequest(c.Model, c.Provider, c.Operation, run.Environment, c.Failed())
		if p, err := prices.Lookup(c.Model, c.Provider); err == nil && !c.Failed() {
			w.APICost[c.Model] += p.CallCost(c)
		}
		wantCalls[c.Model+" "+c.Provider]++
	}
	gotCalls := map[string]int{}
	for _, s := range processed {
		if !s.ModelCall() {
			continue
		}
		gotCalls[s.Model+" "+s.Provider]++
		w.addObservations(s)
		if !s.HasCost && !s.Failed {
			w.Unpriced = appendOnce(w.Unpriced, s.Model)
		}
		if s.HasCost {
			w.ProcessorCost[s.Model] += s.Cost
			w.OurCost[s.Model] += s.Cost
			w.OurCostTotal += s.Cost
		}
	}
	if fmt.Sprint(gotCalls) != fmt.Sprint(wantCalls) {
		t.Errorf("model-call spans per model and provider %v, want one per call the app made: %v", gotCalls, wantCalls)
	}
	return w
}

// addRequest counts one call in the request totals.
func (w *RealTotals) addRequest(model, provider, operation, environment string, failed bool) {
	w.Requests++
	w.ByModel[model]++
	w.ByProvider[provider]++
	w.ByOperation[operation]++
	w.ByEnvironment[environment]++
	if failed {
		w.Errors++
	}
}

// addObservations adds what the genai connector observes of one model-call
// span: its tokens, its cost and its first chunk.
func (w *RealTotals) addObservations(s RealSpan) {
	if s.HasFirstChunk {
		w.FirstChunksByProvider[s.Provider] = append(w.FirstChunksByProvider[s.Provider], s.FirstChunk)
		w.FirstChunksByModel[s.Model] = append(w.FirstChunksByModel[s.Model], s.FirstChunk)
	}
	if s.HasTokens {
		w.InputTokens += s.Input
		w.InputCount++
	}
	if s.HasOutput {
		w.OutputTokens += s.Output
		w.OutputCount++
	}
	if s.HasCost {
		w.Cost += s.Cost
		w.CostCount++
		w.CostByModel[s.Model] += s.Cost
		w.CostByProvider[s.Provider] += s.Cost
	}
}

// Report is the human-readable comparison of one run.
func (w RealTotals) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "requests %v (errors %v) by model %v by provider %v by operation %v by environment %v\n",
		w.Requests, w.Errors, w.ByModel, w.ByProvider, w.ByOperation, w.ByEnvironment)
	fmt.Fprintf(&b, "tokens in %v out %v (the library's own estimates for %v)\n", w.InputTokens, w.OutputTokens, w.EstimatedModels)
	fmt.Fprintf(&b, "dashboard cost %.9g over %v calls, by model %v\n", w.Cost, w.CostCount, w.CostByModel)
	var models []string
	for m := range w.OurCost {
		models = append(models, m)
	}
	for m := range w.LibraryCost {
		if _, ok := w.OurCost[m]; !ok {
			models = append(models, m)
		}
	}
	sort.Strings(models)
	fmt.Fprintf(&b, "cost per model: the library's own; ours (built-in table x the span's tokens); on the exported spans; table x the API's usage:\n")
	var lib, api, exported float64
	for _, m := range models {
		fmt.Fprintf(&b, "  %-26s library %-12.9g ours %-12.9g exported %-12.9g api %.9g\n", m, w.LibraryCost[m], w.OurCost[m], w.ProcessorCost[m], w.APICost[m])
		lib, api, exported = lib+w.LibraryCost[m], api+w.APICost[m], exported+w.ProcessorCost[m]
	}
	fmt.Fprintf(&b, "  %-26s library %-12.9g ours %-12.9g exported %-12.9g api %.9g (not in the helper's table: %v)\n", "total", lib, w.OurCostTotal, exported, api, w.Unpriced)
	return b.String()
}
