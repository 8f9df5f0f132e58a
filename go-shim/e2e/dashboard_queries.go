//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SeedDashboardPath is the acceptance fixture; it lives outside the repo
// and tests that need it skip when it is absent.
const SeedDashboardPath = "../shared/seed/genai-observability-dashboard.json"

// OwnDashboardPath is the project's dashboard, generated from the seed.
const OwnDashboardPath = "dashboards/genai-dashboard.json"

// PanelQuery is one query of a dashboard panel.
type PanelQuery struct {
	PanelID int
	Title   string
	RefID   string
	Logs    bool // LogsQL for VictoriaLogs; otherwise MetricsQL
	Expr    string
}

func (q PanelQuery) String() string {
	return fmt.Sprintf("panel %d %q ref %s", q.PanelID, q.Title, q.RefID)
}

type dashboardJSON struct {
	Panels []panelJSON `json:"panels"`
}

type panelJSON struct {
	ID      int         `json:"id"`
	Title   string      `json:"title"`
	Panels  []panelJSON `json:"panels"`
	Targets []struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
}

// ParseQueries lists every panel query of a Grafana dashboard, rows included.
func ParseQueries(doc []byte) ([]PanelQuery, error) {
	var d dashboardJSON
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	var out []PanelQuery
	var walk func([]panelJSON)
	walk = func(ps []panelJSON) {
		for _, p := range ps {
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) == "" {
					continue
				}
				logs := t.Datasource.Type == "loki" || strings.Contains(t.Datasource.UID, "logs")
				out = append(out, PanelQuery{PanelID: p.ID, Title: p.Title, RefID: t.RefID, Logs: logs, Expr: t.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out, nil
}

// Window is how the Grafana time variables are substituted.
type Window struct {
	Range, Interval, RateInterval string // MetricsQL durations, e.g. "10m"
}

// Substitute replaces Grafana's variables: the service and environment
// variables select everything (".*" in MetricsQL, "*" in LogsQL, which is
// what "All" means there) and the time variables take the test's window.
func Substitute(q PanelQuery, w Window) string {
	all := ".*"
	if q.Logs {
		all = "*"
	}
	r := strings.NewReplacer(
		"$service_name", all,
		"$deployment_environment", all,
		"$__rate_interval", w.RateInterval,
		"$__interval", w.Interval,
		"$__range", w.Range,
	)
	return r.Replace(q.Expr)
}

// sdkFilter is the filter 26 of the seed's 30 metric queries carry.
const sdkFilter = `telemetry_sdk_name=\"openlit\", `

// DashboardFix is one expression of the seed that the project's dashboard
// corrects: the panel it is in, what it shows wrongly and why, and the
// fragment of the expression (SDK filter already removed) replaced.
type DashboardFix struct {
	PanelID  int
	RefID    string
	Why      string
	Old, New string
}

// filters is the variable filter every metric query of the seed carries.
const filters = `service_name=~"$service_name", deployment_environment=~"$deployment_environment"`

// DashboardFixes are the seed's expressions that are wrong whatever the
// data (docs/dashboards.md is generated from this list).
var DashboardFixes = []DashboardFix{
	{PanelID: 6, RefID: "A", Why: "averages the histogram's bucket counters, not the tokens per call",
		Old: `avg(gen_ai_client_token_usage_bucket{` + filters + `, gen_ai_token_type="input"})`,
		New: `sum(increase(gen_ai_client_token_usage_sum{` + filters + `, gen_ai_token_type="input"}[$__range])) / sum(increase(gen_ai_client_token_usage_count{` + filters + `, gen_ai_token_type="input"}[$__range]))`},
	{PanelID: 6, RefID: "B", Why: "averages the histogram's bucket counters, not the tokens per call",
		Old: `avg(gen_ai_client_token_usage_bucket{` + filters + `, gen_ai_token_type="output"})`,
		New: `sum(increase(gen_ai_client_token_usage_sum{` + filters + `, gen_ai_token_type="output"}[$__range])) / sum(increase(gen_ai_client_token_usage_count{` + filters + `, gen_ai_token_type="output"}[$__range]))`},
	{PanelID: 6, RefID: "C", Why: "averages the histogram's bucket counters, not the cost per call",
		Old: `avg(gen_ai_usage_cost_USD_bucket{` + filters + `})`,
		New: `sum(increase(gen_ai_usage_cost_USD_sum{` + filters + `}[$__range])) / sum(increase(gen_ai_usage_cost_USD_count{` + filters + `}[$__range]))`},
	{PanelID: 32, RefID: "A", Why: "divides a sum of USD by 1000: shows a thousandth of the cost",
		Old: `[$__rate_interval])) by(gen_ai_request_model) / 1000`,
		New: `[$__rate_interval])) by(gen_ai_request_model)`},
	{PanelID: 55, RefID: "A", Why: "divides a sum of USD by 1000: shows a thousandth of the cost",
		Old: `[1h]) / 1000`,
		New: `[1h])`},
	{PanelID: 56, RefID: "A", Why: "success is `http_status_code` outside 4xx/5xx, a label no GenAI instrumentation sets: always 100%; a call succeeded when its point has no `error_type` (the semantic conventions set it on failures only)",
		Old: `{http_status_code!~"4..|5..", `,
		New: `{error_type="", `},
}

// escapeJSON gives a fragment as it is written inside a JSON string (the
// fragments hold no backslash, newline or control character).
func escapeJSON(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }

// GenerateOwnDashboard makes the project's dashboard from the seed: the
// same panels and queries without the telemetry_sdk_name="openlit" filter
// (so every instrumentation's telemetry shows), with [DashboardFixes]
// applied, under its own title and uid so it can sit next to the original
// in one Grafana. It works on the JSON text so the file stays diffable
// against the seed.
func GenerateOwnDashboard(seed []byte) ([]byte, error) {
	replace := func(doc []byte, old, new string, want int) ([]byte, error) {
		if n := bytes.Count(doc, []byte(old)); want >= 0 && n != want {
			return nil, fmt.Errorf("seed dashboard: expected %d of %q, found %d", want, old, n)
		}
		return bytes.ReplaceAll(doc, []byte(old), []byte(new)), nil
	}
	if bytes.Count(seed, []byte(sdkFilter)) == 0 {
		return nil, fmt.Errorf("seed dashboard: no %s filter found", sdkFilter)
	}
	doc, err := replace(seed, sdkFilter, "", -1)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(doc, []byte("telemetry_sdk_name")) {
		return nil, fmt.Errorf("seed dashboard: telemetry_sdk_name used in a form the generator does not know")
	}
	for _, f := range DashboardFixes {
		if doc, err = replace(doc, escapeJSON(f.Old), escapeJSON(f.New), 1); err != nil {
			return nil, fmt.Errorf("fix of panel %d%s: %w", f.PanelID, f.RefID, err)
		}
	}
	if doc, err = replace(doc, "\n  \"title\": \"GenAI Observability\",", "\n  \"title\": \"GenAI Observability (otelcol-genai)\",", 1); err != nil {
		return nil, err
	}
	return replace(doc, "\n  \"uid\": \"cdiz9piuoa3ggc\",", "\n  \"uid\": \"otelcol-genai-observability\",", 1)
}

// FixedExpr is a seed expression as the project's dashboard has it.
func FixedExpr(q PanelQuery) string {
	e := strings.ReplaceAll(q.Expr, `telemetry_sdk_name="openlit", `, "")
	for _, f := range DashboardFixes {
		if f.PanelID == q.PanelID && f.RefID == q.RefID {
			e = strings.Replace(e, f.Old, f.New, 1)
		}
	}
	return e
}

// DashboardFixesDoc is docs/dashboards.md's table of the fixes.
func DashboardFixesDoc() string {
	var b strings.Builder
	b.WriteString("| panel | what the seed's expression shows | seed fragment | shipped fragment |\n|---|---|---|---|\n")
	cell := strings.NewReplacer("|", `\|`).Replace
	for _, f := range DashboardFixes {
		fmt.Fprintf(&b, "| %d%s | %s | `%s` | `%s` |\n", f.PanelID, f.RefID, cell(f.Why), cell(f.Old), cell(f.New))
	}
	return b.String()
}

// readRepoFile reads a file relative to the repository root.
func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), rel))
	if err != nil {
		t.Fatalf("reading %s: %v", rel, err)
	}
	return b
}

// seedDashboard is the seed's bytes, or nil when /work/shared is absent.
func seedDashboard(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), SeedDashboardPath))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading the seed dashboard: %v", err)
	}
	return b
}
