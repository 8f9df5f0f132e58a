//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOwnDashboardIsGeneratedFromSeed checks dashboards/genai-dashboard.json
// against the generator; GENAI_BLESS=1 rewrites it (review the diff).
func TestOwnDashboardIsGeneratedFromSeed(t *testing.T) {
	seed := seedDashboard(t)
	if seed == nil {
		t.Skipf("seed dashboard %s absent: cannot regenerate %s", SeedDashboardPath, OwnDashboardPath)
	}
	want, err := GenerateOwnDashboard(seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(RepoRoot(t), OwnDashboardPath)
	if os.Getenv("GENAI_BLESS") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := readRepoFile(t, OwnDashboardPath)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: regenerate with GENAI_BLESS=1 go test -tags e2e -run TestOwnDashboardIsGeneratedFromSeed ./e2e/", OwnDashboardPath)
	}
}

// TestOwnDashboardQueries: same panels and queries as the seed, no SDK filter.
func TestOwnDashboardQueries(t *testing.T) {
	own, err := ParseQueries(readRepoFile(t, OwnDashboardPath))
	if err != nil {
		t.Fatal(err)
	}
	metrics, logs := 0, 0
	for _, q := range own {
		if strings.Contains(q.Expr, "telemetry_sdk_name") {
			t.Errorf("%s still filters on telemetry_sdk_name: %s", q, q.Expr)
		}
		if q.Logs {
			logs++
		} else {
			metrics++
		}
	}
	if metrics != 30 || logs != 1 {
		t.Errorf("own dashboard has %d metric and %d log queries, want 30 and 1", metrics, logs)
	}
	seed := seedDashboard(t)
	if seed == nil {
		return
	}
	orig, err := ParseQueries(seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(orig) != len(own) {
		t.Fatalf("seed has %d queries, own dashboard %d", len(orig), len(own))
	}
	for i, q := range orig {
		if i >= len(own) || own[i].Expr != FixedExpr(q) || own[i].PanelID != q.PanelID {
			t.Errorf("query %d (%s) differs from the seed's beyond the SDK filter and DashboardFixes", i, q)
		}
	}
}

// TestDashboardFixesDoc: docs/dashboards.md lists every fix
// (GENAI_BLESS=1 rewrites its generated table).
func TestDashboardFixesDoc(t *testing.T) {
	const begin, end = "<!-- dashboard fixes -->\n", "<!-- end of dashboard fixes -->\n"
	path := filepath.Join(RepoRoot(t), "docs", "dashboards.md")
	doc := string(readRepoFile(t, "docs/dashboards.md"))
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/dashboards.md: no %q ... %q section", begin, end)
	}
	want := doc[:i+len(begin)] + DashboardFixesDoc() + doc[j:]
	if os.Getenv("GENAI_BLESS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = want
	}
	if doc != want {
		t.Fatalf("docs/dashboards.md is stale: GENAI_BLESS=1 go test -tags e2e -run TestDashboardFixesDoc ./e2e/")
	}
}
