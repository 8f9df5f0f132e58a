package genaiprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The core processes a trace or log batch only when one of its resource,
// span, span event or log record attribute keys is a GenAI key, and a
// metric batch only when one of its metric names is a GenAI metric name or
// one of its resource or data point attribute keys a GenAI key; any other
// batch comes back unchanged (rust/processor.rs, Processor::is_genai_key
// and is_genai_metric_name). Checking names and keys here, with the core's
// answers cached, costs a map lookup per attribute instead of marshaling
// the batch: most of what a shared collector carries is not GenAI traffic.

// mayChangeTraces is false when no attribute key of td is a GenAI key.
func (p *genaiProcessor) mayChangeTraces(td ptrace.Traces) bool {
	has := p.genaiKeyIn()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		if has(rs.Resource().Attributes()) {
			return true
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				if has(span.Attributes()) {
					return true
				}
				events := span.Events()
				for e := 0; e < events.Len(); e++ {
					if has(events.At(e).Attributes()) {
						return true
					}
				}
			}
		}
	}
	return false
}

// mayChangeLogs is false when no attribute key of ld is a GenAI key.
func (p *genaiProcessor) mayChangeLogs(ld plog.Logs) bool {
	has := p.genaiKeyIn()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		if has(rl.Resource().Attributes()) {
			return true
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			records := sls.At(j).LogRecords()
			for k := 0; k < records.Len(); k++ {
				if has(records.At(k).Attributes()) {
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
	has := p.genaiKeyIn()
	core := p.core.Load()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		if has(rm.Resource().Attributes()) {
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
					if has(attrs) {
						return true
					}
				}
			}
		}
	}
	return false
}

// genaiKeyIn returns a check of one attribute map against the current
// core. An error from the core (a closed handle) counts as a GenAI key, so
// the batch takes the normal path, which reports it.
func (p *genaiProcessor) genaiKeyIn() func(pcommon.Map) bool {
	core := p.core.Load()
	return func(m pcommon.Map) bool {
		found := false
		m.Range(func(k string, _ pcommon.Value) bool {
			is, err := core.IsGenAIKey(k)
			found = is || err != nil
			return !found
		})
		return found
	}
}
