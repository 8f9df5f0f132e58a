package genaiprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/ffi"
)

// The core processes a trace or log batch only when one of its resource,
// span, span event or log record attribute keys is a GenAI key, and a
// metric batch only when one of its metric names is a GenAI metric name or
// one of its resource or data point attribute keys a GenAI key; any other
// batch comes back unchanged (rust/processor.rs, Processor::is_genai_key
// and is_genai_metric_name). Checking names and keys here, with the core's
// answers cached, costs a string comparison per attribute key that repeats
// the last item's key at its position, and a map lookup per other key,
// instead of marshaling the batch: most of what a shared collector carries
// is not GenAI traffic.

// mayChangeTraces is false when no attribute key of td is a GenAI key.
func (p *genaiProcessor) mayChangeTraces(td ptrace.Traces) bool {
	c := p.keyCheck()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		if c.has(rs.Resource().Attributes(), &c.others) {
			return true
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				if c.has(span.Attributes(), &c.items) {
					return true
				}
				events := span.Events()
				for e := 0; e < events.Len(); e++ {
					if c.has(events.At(e).Attributes(), &c.others) {
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
	c := p.keyCheck()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		if c.has(rl.Resource().Attributes(), &c.others) {
			return true
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			records := sls.At(j).LogRecords()
			for k := 0; k < records.Len(); k++ {
				if c.has(records.At(k).Attributes(), &c.items) {
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
	c := p.keyCheck()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		if c.has(rm.Resource().Attributes(), &c.others) {
			return true
		}
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			metrics := sms.At(j).Metrics()
			for k := 0; k < metrics.Len(); k++ {
				metric := metrics.At(k)
				if is, err := c.core.IsGenAIMetricName(metric.Name()); is || err != nil {
					return true
				}
				for n := 0; ; n++ {
					attrs, ok := pointAttributes(metric, n)
					if !ok {
						break
					}
					if c.has(attrs, &c.items) {
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
func (p *genaiProcessor) keyCheck() keyCheck {
	return keyCheck{core: p.core.Load()}
}

// keyCheck remembers, per position in an attribute map, the last key found
// not to be a GenAI key: the items of a batch mostly repeat their keys in
// the same order, and comparing a key with the one before it costs less
// than the cached map lookup (two thirds of the check's time on plain
// spans before). It lives for one batch and holds its strings no longer.
type keyCheck struct {
	core *ffi.Processor
	// Positions of item (span, log record, data point) maps and of the
	// others (resources, span events), kept apart so that neither evicts
	// the other's keys.
	items, others positions
}

type positions [16]string

// has tells whether a key of m is a GenAI key.
func (c *keyCheck) has(m pcommon.Map, recent *positions) bool {
	i := 0
	for k := range m.All() {
		if i < len(recent) && recent[i] == k {
			i++
			continue
		}
		if is, err := c.core.IsGenAIKey(k); is || err != nil {
			return true
		}
		if i < len(recent) {
			recent[i] = k
		}
		i++
	}
	return false
}
