package genaiprocessor

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// The core can answer a changed batch with edits to the batch we marshaled
// instead of a whole new batch (rust/edit_format.rs has the format): per
// attribute list, keys to delete and keys to set, and scope schema URLs;
// for metrics also metric renames and the points and metrics the cost
// stage appended, as small encoded batches. Applying them to the pdata we
// hold costs a few map writes per item, where decoding a new batch costs
// an allocation per attribute.
//
// Edits are applied in two passes over the buffer: the first checks all of
// it (format, indices, value types, appended batches) and changes nothing,
// so a bad buffer leaves the batch as it was; the second applies.

var errEdits = errors.New("malformed edits from the genai core")

// editTarget is what an entry changes: an attribute map (targets 0-3 and
// 5), a scope's schema URL, a metric (6, 7) or a scope's metrics (8).
type editTarget struct {
	attrs     pcommon.Map
	setSchema func(string)
	metric    pmetric.Metric
	metrics   pmetric.MetricSlice
}

// locator finds an entry's target; false when the batch has none there.
type locator func(target uint8, resource, scope, item, event uint32) (editTarget, bool)

// applyTraceEdits applies edits to td, or returns an error and leaves it alone.
func applyTraceEdits(td ptrace.Traces, b []byte) error {
	locate := func(target uint8, r, s, i, e uint32) (editTarget, bool) {
		rss := td.ResourceSpans()
		if int(r) >= rss.Len() {
			return editTarget{}, false
		}
		rs := rss.At(int(r))
		if target == ffi.EditTargetResource {
			return editTarget{attrs: rs.Resource().Attributes()}, true
		}
		if int(s) >= rs.ScopeSpans().Len() {
			return editTarget{}, false
		}
		ss := rs.ScopeSpans().At(int(s))
		switch target {
		case ffi.EditTargetSchemaURL:
			return editTarget{setSchema: ss.SetSchemaUrl}, true
		case ffi.EditTargetSpan, ffi.EditTargetSpanEvent:
			if int(i) >= ss.Spans().Len() {
				return editTarget{}, false
			}
			span := ss.Spans().At(int(i))
			if target == ffi.EditTargetSpan {
				return editTarget{attrs: span.Attributes()}, true
			}
			if int(e) >= span.Events().Len() {
				return editTarget{}, false
			}
			return editTarget{attrs: span.Events().At(int(e)).Attributes()}, true
		}
		return editTarget{}, false
	}
	return applyEdits(b, locate)
}

// applyLogEdits applies edits to ld, or returns an error and leaves it alone.
func applyLogEdits(ld plog.Logs, b []byte) error {
	locate := func(target uint8, r, s, i, _ uint32) (editTarget, bool) {
		rls := ld.ResourceLogs()
		if int(r) >= rls.Len() {
			return editTarget{}, false
		}
		rl := rls.At(int(r))
		if target == ffi.EditTargetResource {
			return editTarget{attrs: rl.Resource().Attributes()}, true
		}
		if int(s) >= rl.ScopeLogs().Len() {
			return editTarget{}, false
		}
		sl := rl.ScopeLogs().At(int(s))
		switch target {
		case ffi.EditTargetSchemaURL:
			return editTarget{setSchema: sl.SetSchemaUrl}, true
		case ffi.EditTargetLogRecord:
			if int(i) >= sl.LogRecords().Len() {
				return editTarget{}, false
			}
			return editTarget{attrs: sl.LogRecords().At(int(i)).Attributes()}, true
		}
		return editTarget{}, false
	}
	return applyEdits(b, locate)
}

// applyMetricEdits applies edits to md, or returns an error and leaves it alone.
func applyMetricEdits(md pmetric.Metrics, b []byte) error {
	locate := func(target uint8, r, s, m, p uint32) (editTarget, bool) {
		rms := md.ResourceMetrics()
		if int(r) >= rms.Len() {
			return editTarget{}, false
		}
		rm := rms.At(int(r))
		if target == ffi.EditTargetResource {
			return editTarget{attrs: rm.Resource().Attributes()}, true
		}
		if int(s) >= rm.ScopeMetrics().Len() {
			return editTarget{}, false
		}
		sm := rm.ScopeMetrics().At(int(s))
		switch target {
		case ffi.EditTargetSchemaURL:
			return editTarget{setSchema: sm.SetSchemaUrl}, true
		case ffi.EditTargetAppendedMetrics:
			return editTarget{metrics: sm.Metrics()}, true
		case ffi.EditTargetDataPoint, ffi.EditTargetMetricName, ffi.EditTargetAppendedPoints:
		default:
			return editTarget{}, false
		}
		if int(m) >= sm.Metrics().Len() {
			return editTarget{}, false
		}
		metric := sm.Metrics().At(int(m))
		if target != ffi.EditTargetDataPoint {
			return editTarget{metric: metric}, true
		}
		attrs, ok := pointAttributes(metric, int(p))
		return editTarget{attrs: attrs}, ok
	}
	return applyEdits(b, locate)
}

// pointAttributes are the attributes of metric's point i.
func pointAttributes(metric pmetric.Metric, i int) (pcommon.Map, bool) {
	var n int
	var at func(int) pcommon.Map
	switch metric.Type() {
	case pmetric.MetricTypeGauge:
		ps := metric.Gauge().DataPoints()
		n, at = ps.Len(), func(i int) pcommon.Map { return ps.At(i).Attributes() }
	case pmetric.MetricTypeSum:
		ps := metric.Sum().DataPoints()
		n, at = ps.Len(), func(i int) pcommon.Map { return ps.At(i).Attributes() }
	case pmetric.MetricTypeHistogram:
		ps := metric.Histogram().DataPoints()
		n, at = ps.Len(), func(i int) pcommon.Map { return ps.At(i).Attributes() }
	case pmetric.MetricTypeExponentialHistogram:
		ps := metric.ExponentialHistogram().DataPoints()
		n, at = ps.Len(), func(i int) pcommon.Map { return ps.At(i).Attributes() }
	case pmetric.MetricTypeSummary:
		ps := metric.Summary().DataPoints()
		n, at = ps.Len(), func(i int) pcommon.Map { return ps.At(i).Attributes() }
	}
	if i >= n {
		return pcommon.Map{}, false
	}
	return at(i), true
}

// appendPoints moves the points of src to the end of dst's, of the same type.
func appendPoints(dst, src pmetric.Metric) {
	switch dst.Type() {
	case pmetric.MetricTypeGauge:
		src.Gauge().DataPoints().MoveAndAppendTo(dst.Gauge().DataPoints())
	case pmetric.MetricTypeSum:
		src.Sum().DataPoints().MoveAndAppendTo(dst.Sum().DataPoints())
	case pmetric.MetricTypeHistogram:
		src.Histogram().DataPoints().MoveAndAppendTo(dst.Histogram().DataPoints())
	case pmetric.MetricTypeExponentialHistogram:
		src.ExponentialHistogram().DataPoints().MoveAndAppendTo(dst.ExponentialHistogram().DataPoints())
	case pmetric.MetricTypeSummary:
		src.Summary().DataPoints().MoveAndAppendTo(dst.Summary().DataPoints())
	}
}

// appendedScope decodes an appended batch: one resource with one scope,
// whose metrics it returns.
func appendedScope(b []byte) (pmetric.MetricSlice, error) {
	md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
	if err != nil {
		return pmetric.MetricSlice{}, fmt.Errorf("%w: appended metrics: %w", errEdits, err)
	}
	if md.ResourceMetrics().Len() != 1 || md.ResourceMetrics().At(0).ScopeMetrics().Len() != 1 {
		return pmetric.MetricSlice{}, fmt.Errorf("%w: appended metrics not in one scope", errEdits)
	}
	return md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics(), nil
}

func applyEdits(b []byte, locate locator) error {
	appended, err := walkEdits(b, locate, nil)
	if err != nil {
		return err
	}
	_, err = walkEdits(b, locate, appended)
	return err
}

// walkEdits reads every entry. Without appended (the first pass) it
// checks them and returns the decoded appended batches, in order; with
// them it makes the changes.
func walkEdits(b []byte, locate locator, appended []pmetric.MetricSlice) ([]pmetric.MetricSlice, error) {
	apply := appended != nil
	r := editReader{b: b}
	if apply {
		r.strs = interner{}
	}
	var decoded []pmetric.MetricSlice
	var ops []editOp // the last list entry's ops, for a repeat
	var rb rebuilder
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		kind := r.u8()
		res, scope, item, event := r.u32(), r.u32(), r.u32(), r.u32()
		if r.err != nil {
			break
		}
		t, ok := locate(kind, res, scope, item, event)
		if !ok {
			return nil, fmt.Errorf("%w: no target %d at %d/%d/%d/%d", errEdits, kind, res, scope, item, event)
		}
		switch kind {
		case ffi.EditTargetSchemaURL:
			url := r.bytes()
			if apply {
				t.setSchema(string(url))
			}
			continue
		case ffi.EditTargetMetricName:
			name, unit := r.bytes(), r.bytes()
			if apply {
				t.metric.SetName(string(name))
				t.metric.SetUnit(string(unit))
			}
			continue
		case ffi.EditTargetAppendedPoints, ffi.EditTargetAppendedMetrics:
			body := r.bytes()
			if r.err != nil {
				continue // the loop ends on the error
			}
			if apply {
				if len(appended) == 0 {
					return nil, fmt.Errorf("%w: appended batches changed between passes", errEdits)
				}
				next := appended[0]
				appended = appended[1:]
				if kind == ffi.EditTargetAppendedMetrics {
					next.MoveAndAppendTo(t.metrics)
				} else {
					appendPoints(t.metric, next.At(0))
				}
				continue
			}
			metrics, err := appendedScope(body)
			if err != nil {
				return nil, err
			}
			if kind == ffi.EditTargetAppendedPoints && (metrics.Len() != 1 || metrics.At(0).Type() != t.metric.Type()) {
				return nil, fmt.Errorf("%w: appended points do not fit metric %d/%d/%d", errEdits, res, scope, item)
			}
			decoded = append(decoded, metrics)
			continue
		}
		// The ops, or the previous list entry's again.
		if r.peekU32() == ffi.EditRepeat {
			r.u32()
			if ops == nil {
				return nil, fmt.Errorf("%w: a repeat without ops before it", errEdits)
			}
		} else {
			ops = r.ops(ops[:0])
		}
		if apply && r.err == nil {
			applyOps(t.attrs, ops, &rb, r.strs)
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", errEdits, len(r.b))
	}
	if decoded == nil {
		decoded = []pmetric.MetricSlice{} // non-nil: the second pass applies
	}
	return decoded, r.err
}
