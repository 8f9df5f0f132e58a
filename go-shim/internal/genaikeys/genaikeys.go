// Package genaikeys tells whether a batch has a GenAI attribute key, with
// the core's answers (cached in internal/ffi), so that the genai
// components pass on or skip a batch without one instead of marshaling it.
//
// The core reads a trace or log batch only when one of its resource,
// span, span event or log record attribute keys is a GenAI key (and a
// metric batch, besides, when a metric name is a GenAI metric name):
// rust/processor.rs, Processor::is_genai_key and is_genai_metric_name;
// rust/span_metrics/mod.rs, SpanMetrics::is_genai_key. Checking the keys
// here costs a string comparison per attribute key that repeats the last
// item's key at its position, and a map lookup per other key, instead of
// marshaling the batch: most of what a shared collector carries is not
// GenAI traffic.
package genaikeys

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Core answers whether an attribute key is a GenAI key (ffi.Processor,
// ffi.Connector). An error counts as a GenAI key, so that the batch takes
// the normal path, which reports it.
type Core interface {
	IsGenAIKey(key string) (bool, error)
}

// Check checks the attribute maps of one batch against core's answers.
// It remembers, per position in an attribute map, the last key found not
// to be a GenAI key: the items of a batch mostly repeat their keys in the
// same order, and comparing a key with the one before it costs less than
// the cached map lookup (two thirds of the check's time on plain spans
// before). It lives for one batch and holds its strings no longer.
type Check struct {
	core Core
	// Positions of item (span, log record, data point) maps and of the
	// others (resources, span events), kept apart so that neither evicts
	// the other's keys.
	items, others positions
}

type positions [16]string

// New starts the check of one batch.
func New(core Core) Check {
	return Check{core: core}
}

// Item tells whether a key of an item's map (span, log record, data
// point) is a GenAI key.
func (c *Check) Item(m pcommon.Map) bool { return c.has(m, &c.items) }

// Other tells whether a key of another map (resource, span event) is a
// GenAI key.
func (c *Check) Other(m pcommon.Map) bool { return c.has(m, &c.others) }

// Traces is false when no resource, span or span event attribute key of td
// is a GenAI key.
func (c *Check) Traces(td ptrace.Traces) bool {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		if c.Other(rs.Resource().Attributes()) {
			return true
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				if c.Item(span.Attributes()) {
					return true
				}
				events := span.Events()
				for e := 0; e < events.Len(); e++ {
					if c.Other(events.At(e).Attributes()) {
						return true
					}
				}
			}
		}
	}
	return false
}

// has tells whether a key of m is a GenAI key.
func (c *Check) has(m pcommon.Map, recent *positions) bool {
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
