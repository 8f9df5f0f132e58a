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

// GenerateOwnDashboard makes the project's dashboard from the seed: the
// same panels and queries without the telemetry_sdk_name="openlit" filter
// (so every instrumentation's telemetry shows), under its own title and uid
// so it can sit next to the original in one Grafana. It works on the JSON
// text so the file stays diffable against the seed.
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
	if doc, err = replace(doc, "\n  \"title\": \"GenAI Observability\",", "\n  \"title\": \"GenAI Observability (otelcol-genai)\",", 1); err != nil {
		return nil, err
	}
	return replace(doc, "\n  \"uid\": \"cdiz9piuoa3ggc\",", "\n  \"uid\": \"otelcol-genai-observability\",", 1)
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
