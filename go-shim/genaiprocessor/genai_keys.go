package genaiprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The core processes a trace or log batch only when one of its resource,
// span, span event or log record attribute keys is a GenAI key; any other
// batch comes back unchanged (rust/processor.rs, Processor::is_genai_key).
// Checking the keys here, with the core's answers cached per key, costs a
// map lookup per attribute instead of marshaling the batch: most of what a
// shared collector carries is not GenAI traffic. Metrics always go to the
// core: the naming stage reacts to metric names and values too.

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
