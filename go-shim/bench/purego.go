package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/attributesprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
)

// The pure-Go pipeline: what a user would configure from contrib components
// to get genai's output on the reference workloads (contrib's
// gen_ai_normalizer does not resolve at v0.161.0, so key renames are
// attributes-processor inserts). docs/benchmarks.md lists what it cannot
// express.

// keyMaps are the built-in source mappings of the sources in workloads 2-3
// (docs/normalization.md: otel_legacy, openllmetry, openinference), in the
// core's precedence order: an insert only writes an absent key, so the first
// listed source wins as in the core. Mappings whose value needs rewriting
// (operation names) or that rebuild structure (flattened messages) are OTTL
// statements below.
var keyMaps = [][2]string{
	// otel_legacy
	{"gen_ai.system", "gen_ai.provider.name"},
	{"gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens"},
	{"gen_ai.usage.completion_tokens", "gen_ai.usage.output_tokens"},
	{"gen_ai.openai.request.seed", "gen_ai.request.seed"},
	{"gen_ai.openai.request.response_format", "gen_ai.output.type"},
	{"gen_ai.openai.request.service_tier", "openai.request.service_tier"},
	{"gen_ai.openai.response.service_tier", "openai.response.service_tier"},
	{"gen_ai.openai.response.system_fingerprint", "openai.response.system_fingerprint"},
	// openllmetry
	{"llm.usage.prompt_tokens", "gen_ai.usage.input_tokens"},
	{"llm.usage.completion_tokens", "gen_ai.usage.output_tokens"},
	{"llm.usage.total_tokens", "gen_ai.usage.total_tokens"},
	{"gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_read.input_tokens"},
	{"gen_ai.usage.cache_creation_input_tokens", "gen_ai.usage.cache_creation.input_tokens"},
	{"llm.usage.reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"},
	{"llm.vendor", "gen_ai.provider.name"},
	{"llm.request.model", "gen_ai.request.model"},
	{"llm.response.model", "gen_ai.response.model"},
	{"llm.request.max_tokens", "gen_ai.request.max_tokens"},
	{"llm.request.temperature", "gen_ai.request.temperature"},
	{"llm.request.top_p", "gen_ai.request.top_p"},
	{"llm.top_k", "gen_ai.request.top_k"},
	{"llm.frequency_penalty", "gen_ai.request.frequency_penalty"},
	{"llm.presence_penalty", "gen_ai.request.presence_penalty"},
	{"llm.chat.stop_sequences", "gen_ai.request.stop_sequences"},
	{"llm.request.functions", "gen_ai.tool.definitions"},
	{"llm.response.finish_reason", "gen_ai.response.finish_reasons"},
	{"llm.response.stop_reason", "gen_ai.response.finish_reasons"},
	{"traceloop.entity.name", "gen_ai.agent.name"},
	{"traceloop.entity.input", "gen_ai.input.messages"},
	{"traceloop.entity.output", "gen_ai.output.messages"},
	{"gen_ai.openai.system_fingerprint", "openai.response.system_fingerprint"},
	// openinference
	{"llm.token_count.prompt", "gen_ai.usage.input_tokens"},
	{"llm.token_count.completion", "gen_ai.usage.output_tokens"},
	{"llm.token_count.total", "gen_ai.usage.total_tokens"},
	{"llm.token_count.prompt_details.cache_read", "gen_ai.usage.cache_read.input_tokens"},
	{"llm.token_count.prompt_details.cache_write", "gen_ai.usage.cache_creation.input_tokens"},
	{"llm.token_count.completion_details.reasoning", "gen_ai.usage.reasoning.output_tokens"},
	{"llm.cost.total", "gen_ai.usage.cost"},
	{"llm.model_name", "gen_ai.request.model"},
	{"embedding.model_name", "gen_ai.request.model"},
	{"reranker.model_name", "gen_ai.request.model"},
	{"llm.provider", "gen_ai.provider.name"},
	{"llm.system", "gen_ai.provider.name"},
	{"tool.name", "gen_ai.tool.name"},
	{"tool.description", "gen_ai.tool.description"},
	{"tool_call.id", "gen_ai.tool.call.id"},
	{"tool_call.function.arguments", "gen_ai.tool.call.arguments"},
	{"agent.name", "gen_ai.agent.name"},
	{"session.id", "gen_ai.conversation.id"},
}

// operationMaps rewrite a source key's value into gen_ai.operation.name, in
// precedence order; lower says the source value is matched case-insensitively.
var operationMaps = []struct {
	key    string
	lower  bool
	values [][2]string
}{
	{"llm.request.type", false, traceloopKinds},
	{"traceloop.span.kind", false, traceloopKinds},
	{"openinference.span.kind", true, [][2]string{
		{"llm", "chat"}, {"embedding", "embeddings"}, {"chain", "invoke_agent"}, {"agent", "invoke_agent"},
		{"tool", "execute_tool"}, {"retriever", "retrieval"}, {"reranker", "retrieval"}, {"prompt", "text_completion"},
	}},
}

var traceloopKinds = [][2]string{
	{"workflow", "invoke_workflow"}, {"task", "invoke_agent"}, {"agent", "invoke_agent"}, {"tool", "execute_tool"},
	{"completion", "text_completion"}, {"chat", "chat"}, {"rerank", "retrieval"}, {"embedding", "embeddings"},
}

// intKeys are coerced from numeric strings, as the core does.
var intKeys = []string{"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.total_tokens"}

// metricNames are the naming stage's renames of the dashboard's metrics
// (docs/victoriametrics.md, "Names produced for the dashboard's metrics").
var metricNames = [][2]string{
	{"gen_ai.client.operation.duration", "gen_ai_client_operation_duration_seconds"},
	{"gen_ai.client.token.usage", "gen_ai_client_token_usage"},
	{"gen_ai.usage.cost", "gen_ai_usage_cost_USD"},
	{"gen_ai.server.time_to_first_token", "gen_ai_server_time_to_first_token_seconds"},
	{"gen_ai.server.time_per_output_token", "gen_ai_server_time_per_output_token_seconds"},
	{"gen_ai.usage.total_tokens", "gen_ai_usage_tokens_total"},
	{"gen_ai.total.requests", "gen_ai_requests_total"},
}

// schemaURL is what the core writes on the scopes it touched.
const schemaURL = "https://opentelemetry.io/schemas/1.37.0"

// ModelPrice is one line of testdata/top_models.jsonl: USD per token as the
// core's lookup resolves the model (written by tests/bench_workloads.rs).
type ModelPrice struct {
	Model    string  `json:"model"`
	Provider string  `json:"provider"`
	Input    float64 `json:"input"`
	Output   float64 `json:"output"`
}

// LoadPrices reads the 50-model price list.
func LoadPrices() ([]ModelPrice, error) {
	f, err := os.Open(filepath.Join(TestdataDir(), "top_models.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []ModelPrice
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p ModelPrice
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("top_models.jsonl: %w", err)
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// PureGoOptions selects the parts of the pure-Go pipeline.
type PureGoOptions struct {
	// Normalize: key renames, operation values, coercions, schema URL.
	Normalize bool
	// Cost: one OTTL statement per priced model.
	Cost bool
	// Naming: metric renames and Prometheus-style labels.
	Naming bool
}

// PureGoStages builds the attributes + transform processors for sig.
func PureGoStages(sig Signal, opt PureGoOptions, prices []ModelPrice) []Stage {
	var stages []Stage
	if sig == Metrics {
		if !opt.Naming {
			return []Stage{{Factory: NoopFactory()}}
		}
		return []Stage{{Factory: transformprocessor.NewFactory(), Config: map[string]any{
			"error_mode": "ignore",
			"metric_statements": []any{
				map[string]any{"context": "metric", "statements": metricRenames()},
				map[string]any{
					"context":    "datapoint",
					"conditions": []any{`IsMatch(metric.name, "^(gen_ai|llm[.])")`},
					"statements": labelStatements(),
				},
			},
		}}}
	}
	ctx := "span"
	key := "trace_statements"
	if sig == Logs {
		ctx, key = "log", "log_statements"
	}
	if opt.Normalize {
		actions := make([]any, 0, len(keyMaps))
		for _, m := range keyMaps {
			actions = append(actions, map[string]any{"key": m[1], "from_attribute": m[0], "action": "insert"})
		}
		stages = append(stages, Stage{Factory: attributesprocessor.NewFactory(), Config: map[string]any{"actions": actions}})
	}
	var item []any
	if opt.Normalize {
		item = append(item, normalizeStatements(ctx)...)
	}
	if opt.Cost {
		item = append(item, costStatements(ctx, prices)...)
	}
	groups := []any{map[string]any{"context": ctx, "statements": item}}
	if opt.Normalize {
		groups = append(groups, map[string]any{"context": "scope", "statements": []any{
			fmt.Sprintf(`set(scope.schema_url, %q) where scope.schema_url == ""`, schemaURL),
		}})
	}
	stages = append(stages, Stage{Factory: transformprocessor.NewFactory(), Config: map[string]any{
		"error_mode": "ignore",
		key:          groups,
	}})
	return stages
}

func attr(ctx, key string) string { return fmt.Sprintf(`%s.attributes[%q]`, ctx, key) }

func normalizeStatements(ctx string) []any {
	var out []any
	op := attr(ctx, "gen_ai.operation.name")
	for _, m := range operationMaps {
		src := attr(ctx, m.key)
		if m.lower {
			src = fmt.Sprintf("ToLowerCase(%s)", src)
		}
		for _, v := range m.values {
			out = append(out, fmt.Sprintf(`set(%s, %q) where %s == nil and %s == %q`, op, v[1], op, src, v[0]))
		}
	}
	// A single finish reason becomes a one-element list (Split on a
	// separator that never occurs).
	fr := attr(ctx, "gen_ai.response.finish_reasons")
	out = append(out, fmt.Sprintf(`set(%s, Split(%s, "\u0000")) where IsString(%s)`, fr, fr, fr))
	for _, k := range intKeys {
		a := attr(ctx, k)
		out = append(out, fmt.Sprintf(`set(%s, Int(%s)) where IsString(%s)`, a, a, a))
	}
	return out
}

// costStatements price a call by its response model, else its request
// model, from the input and output token counts.
func costStatements(ctx string, prices []ModelPrice) []any {
	cost := attr(ctx, "gen_ai.usage.cost")
	in, outTok := attr(ctx, "gen_ai.usage.input_tokens"), attr(ctx, "gen_ai.usage.output_tokens")
	resp, req := attr(ctx, "gen_ai.response.model"), attr(ctx, "gen_ai.request.model")
	out := make([]any, 0, len(prices))
	for _, p := range prices {
		out = append(out, fmt.Sprintf(
			`set(%s, Double(%s) * %s + Double(%s) * %s) where %s == nil and %s != nil and %s != nil and (%s == %q or (%s == nil and %s == %q))`,
			cost, in, num(p.Input), outTok, num(p.Output), cost, in, outTok, resp, p.Model, resp, req, p.Model))
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func metricRenames() []any {
	out := make([]any, 0, len(metricNames))
	for _, m := range metricNames {
		out = append(out, fmt.Sprintf(`set(metric.name, %q) where metric.name == %q`, m[1], m[0]))
	}
	return out
}

// labelStatements give data points Prometheus-style label names and copy
// the dashboard's resource and scope labels onto them.
func labelStatements() []any {
	dp := func(k string) string { return attr("datapoint", k) }
	res := func(k string) string { return attr("resource", k) }
	out := []any{
		`replace_all_patterns(datapoint.attributes, "key", "[^a-zA-Z0-9_]", "_")`,
	}
	for _, k := range []string{"service.name", "deployment.environment", "telemetry.sdk.name"} {
		l := strings.NewReplacer(".", "_").Replace(k)
		out = append(out, fmt.Sprintf(`set(%s, %s) where %s == nil and %s != nil`, dp(l), res(k), dp(l), res(k)))
	}
	out = append(out,
		fmt.Sprintf(`set(%s, %s) where %s == nil and %s != nil`, dp("deployment_environment"), res("deployment.environment.name"), dp("deployment_environment"), res("deployment.environment.name")),
		`set(datapoint.attributes["scope_name"], instrumentation_scope.name) where datapoint.attributes["scope_name"] == nil`,
		`set(datapoint.attributes["scope_name"], "unknown") where datapoint.attributes["scope_name"] == ""`,
		`set(datapoint.attributes["scope_version"], instrumentation_scope.version) where datapoint.attributes["scope_version"] == nil`,
		`set(datapoint.attributes["scope_version"], "unknown") where datapoint.attributes["scope_version"] == ""`,
	)
	return out
}
