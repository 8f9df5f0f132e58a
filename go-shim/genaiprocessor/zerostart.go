package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"hash/maphash"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// connectorScope is the instrumentation scope of the genai connector's
// metrics (rust/span_metrics/export.rs), which carry their own zero points.
const connectorScope = "otelcol-genai/genaiconnector"

// zeroStarts gives every cumulative series of a GenAI metric a point
// holding zero at the series' start time, once per series while it is
// remembered. A cumulative point's start time says when its series was
// zero; VictoriaMetrics' increase() takes a new series' first sample as
// what was there before the range when it is large against the next delta
// (at least 10x) and drops it, so without that zero a low-rate GenAI series
// loses its first export from every total over a range.
//
// Series are remembered by a 64-bit hash (resource, scope, metric name,
// point attributes, start time), at most maxSeries of them, the oldest
// forgotten first: about 50 bytes each. A forgotten series that comes
// again gets its zero point again, the same sample at the same time,
// which changes no query. The Rust core keeps no state between batches
// (its two paths are tested against each other batch by batch), so this
// stage, the processor's only memory of earlier batches, is here.
type zeroStarts struct {
	seed      maphash.Seed
	mu        sync.Mutex
	seen      map[uint64]struct{}
	order     []uint64 // ring of remembered keys, oldest at next
	next      int
	maxSeries int
}

func newZeroStarts(maxSeries int) *zeroStarts {
	return &zeroStarts{seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}, maxSeries: maxSeries}
}

// add appends the zero points md's new series need and returns how many.
func (z *zeroStarts) add(md pmetric.Metrics) int {
	added := 0
	var h maphash.Hash
	h.SetSeed(z.seed)
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			if sm.Scope().Name() == connectorScope {
				continue
			}
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if !strings.HasPrefix(m.Name(), "gen_ai") {
					continue
				}
				series := func(attrs pcommon.Map, start uint64) uint64 {
					h.Reset()
					hashMap(&h, rm.Resource().Attributes())
					h.WriteString(sm.Scope().Name())
					h.WriteByte(0)
					h.WriteString(m.Name())
					h.WriteByte(0)
					hashMap(&h, attrs)
					var b [8]byte
					for n := range b {
						b[n] = byte(start >> (8 * n))
					}
					h.Write(b[:])
					return h.Sum64()
				}
				added += z.metric(m, series)
			}
		}
	}
	return added
}

// metric adds the zero points of one metric's cumulative points.
func (z *zeroStarts) metric(m pmetric.Metric, series func(pcommon.Map, uint64) uint64) int {
	isNew := func(attrs pcommon.Map, start, at pcommon.Timestamp) bool {
		return start != 0 && start < at && z.remember(series(attrs, uint64(start)))
	}
	const cumulative = pmetric.AggregationTemporalityCumulative
	switch m.Type() {
	case pmetric.MetricTypeSum:
		if s := m.Sum(); s.IsMonotonic() && s.AggregationTemporality() == cumulative {
			return appendZeros(s.DataPoints(), isNew, func(p, zp pmetric.NumberDataPoint) {
				if p.ValueType() == pmetric.NumberDataPointValueTypeDouble {
					zp.SetDoubleValue(0)
				} else {
					zp.SetIntValue(0)
				}
			})
		}
	case pmetric.MetricTypeHistogram:
		if h := m.Histogram(); h.AggregationTemporality() == cumulative {
			return appendZeros(h.DataPoints(), isNew, func(p, zp pmetric.HistogramDataPoint) {
				p.ExplicitBounds().CopyTo(zp.ExplicitBounds())
				zp.BucketCounts().FromRaw(make([]uint64, p.BucketCounts().Len()))
				if p.HasSum() {
					zp.SetSum(0)
				}
			})
		}
	case pmetric.MetricTypeExponentialHistogram:
		if h := m.ExponentialHistogram(); h.AggregationTemporality() == cumulative {
			return appendZeros(h.DataPoints(), isNew, func(p, zp pmetric.ExponentialHistogramDataPoint) {
				zp.SetScale(p.Scale())
				if p.HasSum() {
					zp.SetSum(0)
				}
			})
		}
	}
	return 0
}

// dataPoint is what the zero points need of any pdata point type.
type dataPoint interface {
	Attributes() pcommon.Map
	StartTimestamp() pcommon.Timestamp
	Timestamp() pcommon.Timestamp
	SetStartTimestamp(pcommon.Timestamp)
	SetTimestamp(pcommon.Timestamp)
}

// pointSlice is a pdata slice of P.
type pointSlice[P dataPoint] interface {
	Len() int
	At(int) P
	AppendEmpty() P
}

// appendZeros appends, for each point of ps whose series isNew, a point
// with its attributes at its start time; zero sets the type's values (a
// new pdata point is all zeros already: zero copies the shape, bucket
// bounds or scale, and marks the sum present).
func appendZeros[P dataPoint](ps pointSlice[P], isNew func(pcommon.Map, pcommon.Timestamp, pcommon.Timestamp) bool, zero func(p, zp P)) int {
	added := 0
	for i, n := 0, ps.Len(); i < n; i++ {
		p := ps.At(i)
		if !isNew(p.Attributes(), p.StartTimestamp(), p.Timestamp()) {
			continue
		}
		zp := ps.AppendEmpty()
		p.Attributes().CopyTo(zp.Attributes())
		zp.SetStartTimestamp(p.StartTimestamp())
		zp.SetTimestamp(p.StartTimestamp())
		zero(p, zp)
		added++
	}
	return added
}

// remember records key and says whether it was new.
func (z *zeroStarts) remember(key uint64) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if _, ok := z.seen[key]; ok {
		return false
	}
	if len(z.order) < z.maxSeries {
		z.order = append(z.order, key)
	} else {
		delete(z.seen, z.order[z.next])
		z.order[z.next] = key
		z.next = (z.next + 1) % z.maxSeries
	}
	z.seen[key] = struct{}{}
	return true
}

// hashMap feeds a map's keys and values, in their order, to h.
func hashMap(h *maphash.Hash, m pcommon.Map) {
	m.Range(func(k string, v pcommon.Value) bool {
		h.WriteString(k)
		h.WriteByte(0)
		h.WriteByte(byte(v.Type()))
		h.WriteString(v.AsString())
		h.WriteByte(0)
		return true
	})
}
