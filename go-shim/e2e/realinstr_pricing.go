//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BuiltinPricesPath is the processor's built-in price table (JSON lines).
const BuiltinPricesPath = "rust/pricing/data/litellm_prices.jsonl"

// TablePrice is one model's entry of the built-in table, USD per token.
type TablePrice struct {
	Model         string  `json:"model"`
	Provider      string  `json:"litellm_provider"`
	Input         float64 `json:"input_cost_per_token"`
	Output        float64 `json:"output_cost_per_token"`
	CacheRead     float64 `json:"cache_read_input_token_cost"`
	CacheCreation float64 `json:"cache_creation_input_token_cost"`
	Reasoning     float64 `json:"output_cost_per_reasoning_token"`
}

// PriceTable is the built-in table, read independently of the processor so
// the test's expected costs do not come from the code under test.
type PriceTable map[string][]TablePrice

// LoadPriceTable reads BuiltinPricesPath.
func LoadPriceTable(t testing.TB) PriceTable {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(t), BuiltinPricesPath))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table := PriceTable{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var p TablePrice
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("%s: %v: %s", BuiltinPricesPath, err, line)
		}
		table[p.Model] = append(table[p.Model], p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return table
}

// Lookup is the entry named exactly model: the provider's when several
// providers list it, else the only one. Models the table names only
// approximately (aliases, versions) are not this helper's business: it
// returns an error for them.
func (pt PriceTable) Lookup(model, provider string) (TablePrice, error) {
	entries := pt[model]
	for _, e := range entries {
		if e.Provider == provider {
			return e, nil
		}
	}
	if len(entries) == 1 {
		return entries[0], nil
	}
	return TablePrice{}, fmt.Errorf("price table: %d entries named %q (provider %q)", len(entries), model, provider)
}

// CallCost is the cost of one call as docs/pricing.md defines it: OpenAI
// reports cache reads inside the input and reasoning inside the output
// (inclusive), Anthropic reports the cache tokens on top (additive). A
// part without its own price is charged at the input (output) price.
func (p TablePrice) CallCost(c RealCall) float64 {
	cacheRead, cacheCreation, reasoning := p.CacheRead, p.CacheCreation, p.Reasoning
	if cacheRead == 0 {
		cacheRead = p.Input
	}
	if cacheCreation == 0 {
		cacheCreation = p.Input
	}
	if reasoning == 0 {
		reasoning = p.Output
	}
	cost := c.CachedTokens*cacheRead + c.CacheCreationTokens*cacheCreation +
		(c.OutputTokens-c.ReasoningTokens)*p.Output + c.ReasoningTokens*reasoning
	if c.Provider == "anthropic" {
		return cost + c.InputTokens*p.Input
	}
	return cost + (c.InputTokens-c.CachedTokens-c.CacheCreationTokens)*p.Input
}

// MetricCost is the cost the processor derives from token usage metrics,
// which do not break out cache or reasoning tokens: every input token at
// the input price, every output token at the output price.
func (p TablePrice) MetricCost(input, output float64) float64 {
	return input*p.Input + output*p.Output
}
