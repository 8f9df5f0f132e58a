package genaiprocessor

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/genaikeys"
)

// The batch checks of the processor: internal/genaikeys has the rule and
// the check of the attribute keys.

// mayChangeTraces is false when no attribute key of td is a GenAI key.
func (p *genaiProcessor) mayChangeTraces(td ptrace.Traces) bool {
	c := p.keyCheck()
	return c.Traces(td)
}

// mayChangeLogs is false when no attribute key of ld is a GenAI key.
func (p *genaiProcessor) mayChangeLogs(ld plog.Logs) bool {
	c := p.keyCheck()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		if c.Other(rl.Resource().Attributes()) {
			return true
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			records := sls.At(j).LogRecords()
			for k := 0; k < records.Len(); k++ {
				if c.Item(records.At(k).Attributes()) {
					return true
				}
			}
		}
	}
	return false
}

// mayChangeMetrics is false when no metric name of md is a GenAI metric
// name and no resource or data point attribute key a GenAI key.
func (p *genaiProcessor) mayChangeMetrics(md pmetric.Metrics) bool {
	core := p.core.Load()
	c := genaikeys.New(core)
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		if c.Other(rm.Resource().Attributes()) {
			return true
		}
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			metrics := sms.At(j).Metrics()
			for k := 0; k < metrics.Len(); k++ {
				metric := metrics.At(k)
				if is, err := core.IsGenAIMetricName(metric.Name()); is || err != nil {
					return true
				}
				for n := 0; ; n++ {
					attrs, ok := pointAttributes(metric, n)
					if !ok {
						break
					}
					if c.Item(attrs) {
						return true
					}
				}
			}
		}
	}
	return false
}

// keyCheck checks attribute maps against the current core's answers. An
// error from the core (a closed handle) counts as a GenAI key, so the batch
// takes the normal path, which reports it.
func (p *genaiProcessor) keyCheck() genaikeys.Check {
	return genaikeys.New(p.core.Load())
}
