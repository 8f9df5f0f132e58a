package genaiprocessor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/ffi"
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

// maxInterned bounds the strings an interner shares (keys, providers,
// operations, models) and maxInternedCount how many it keeps: longer or
// later strings are copied each time, as without it.
const (
	maxInterned      = 64
	maxInternedCount = 256
)

// interner gives equal keys and short string values of one edit buffer
// one Go string: the stages set the same few keys, and mostly the same
// values, on every item, and pdata strings are immutable, so sharing them
// halves the allocations of applying edits.
type interner map[string]string

func (in interner) str(b []byte) string {
	if in == nil {
		return "" // only checking: nothing keeps the string
	}
	if len(b) > maxInterned {
		return string(b)
	}
	if s, ok := in[string(b)]; ok { // this lookup does not allocate
		return s
	}
	s := string(b)
	if len(in) < maxInternedCount {
		in[s] = s
	}
	return s
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
		if r.peekU32() == repeatOps {
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

// repeatOps in place of an op count: the previous list entry's ops again.
const repeatOps = ffi.EditRepeat

// editOp is one op of a list entry, read once and applied to every list
// a repeat names. A set's value is kept as read for strings, booleans,
// integers and doubles; any other kind is read again from raw when applied.
type editOp struct {
	op      uint8
	key, to string
	kind    uint8 // the value's type, as in the format
	str     string
	bits    uint64
	raw     []byte
}

// ops reads one list entry's ops, appended to into.
func (r *editReader) ops(into []editOp) []editOp {
	n := r.u32()
	for ; n > 0 && r.err == nil; n-- {
		op := editOp{op: r.u8()}
		op.key = r.strs.str(r.bytes())
		switch op.op {
		case ffi.EditOpDelete:
		case ffi.EditOpSet:
			start := r.b
			op.kind = r.peekU8()
			switch op.kind {
			case ffi.EditValueString:
				r.u8()
				op.str = r.strs.str(r.bytes())
			case ffi.EditValueBool:
				r.u8()
				op.bits = uint64(r.u8())
			case ffi.EditValueInt, ffi.EditValueDouble:
				r.u8()
				op.bits = r.u64()
			default:
				r.value(nil, 0)
				if r.err == nil {
					op.raw = start[:len(start)-len(r.b)]
				}
			}
		case ffi.EditOpRename:
			op.to = r.strs.str(r.bytes())
		default:
			r.err = fmt.Errorf("%w: op %d", errEdits, op.op)
		}
		into = append(into, op)
	}
	return into
}

// applyOps makes one list entry's changes, with Map's semantics for each
// op in turn: a delete removes every attribute of its key, a set changes
// the first of its key or appends, a rename removes the first of its key
// and sets its value under the new one. Sets alone on a short list are
// made on the map, a scan of it per set; anything else rebuilds the list
// once (rebuilder), in time linear in the list and the ops.
func applyOps(attrs pcommon.Map, ops []editOp, rb *rebuilder, strs interner) {
	for i := range ops {
		if ops[i].op != ffi.EditOpSet || len(ops)*attrs.Len() > maxScannedSets {
			rb.apply(attrs, ops, strs)
			return
		}
	}
	attrs.EnsureCapacity(attrs.Len() + len(ops))
	for i := range ops {
		ops[i].set(attrs.PutEmpty(ops[i].key), strs)
	}
}

// maxScannedSets bounds the attributes times set ops made on the map
// itself: each Map.PutEmpty looks for its key from the first attribute.
// Typical items (a few dozen attributes, a few sets) stay under it.
const maxScannedSets = 1024

// set gives v the value of a set op (strs shares the strings of values
// read again).
func (op *editOp) set(v pcommon.Value, strs interner) {
	switch op.kind {
	case ffi.EditValueEmpty:
	case ffi.EditValueString:
		v.SetStr(op.str)
	case ffi.EditValueBool:
		v.SetBool(op.bits != 0)
	case ffi.EditValueInt:
		v.SetInt(int64(op.bits))
	case ffi.EditValueDouble:
		v.SetDouble(math.Float64frombits(op.bits))
	default:
		raw := editReader{b: op.raw, strs: strs}
		raw.value(&v, 0)
	}
}

// rebuilder replays a list entry's ops on the list's keys, then builds the
// resulting map in one pass, moving the values it keeps: the result of the
// ops made one by one with Map's semantics (applyOps), repeated keys
// included, without a scan of the list per op. Only the keys the ops name
// are looked up: the attributes of each are chained in list order, so
// every op finds the first of its key at once. Its slices are reused from
// list to list.
type rebuilder struct {
	entries []rebuilt
	old     []pcommon.Value
	// The keys the ops name and the chain of each, by slot; index finds
	// the slot of a key when there are many.
	named  []string
	index  map[string]int
	chains []chain
	keys   []string // the result's keys, in order
	// built is the map a result is built in before it moves into the
	// list's; MoveTo leaves it empty, and reusing it spares two
	// allocations per list (NewMap's slice header and state).
	built pcommon.Map
	ready bool
}

// rebuilt is one attribute, of the list or added by an op: its key, and
// where its value comes from (an index into old, or the set op).
type rebuilt struct {
	key  string
	old  int // -1: from set
	set  *editOp
	next int // the next live attribute of its key when the ops name it; -1: none
	dead bool
}

// chain is the live attributes of a key the ops name, first and last
// (-1: none).
type chain struct{ head, tail int }

// maxScannedNames is the number of keys the ops name past which they are
// found through a map rather than compared one by one with each key.
const maxScannedNames = 8

// name sets up the slots of the keys ops name.
func (rb *rebuilder) name(ops []editOp) {
	rb.named, rb.chains, rb.index = rb.named[:0], rb.chains[:0], nil
	add := func(k string) {
		if rb.slot(k) < 0 {
			if rb.index != nil {
				rb.index[k] = len(rb.named)
			}
			rb.named = append(rb.named, k)
			rb.chains = append(rb.chains, chain{-1, -1})
			if rb.index == nil && len(rb.named) > maxScannedNames {
				rb.index = make(map[string]int, 2*len(ops))
				for i, k := range rb.named {
					rb.index[k] = i
				}
			}
		}
	}
	for i := range ops {
		add(ops[i].key)
		if ops[i].op == ffi.EditOpRename {
			add(ops[i].to)
		}
	}
}

// slot is the slot of a key the ops name, -1 for any other.
func (rb *rebuilder) slot(k string) int {
	if rb.index != nil {
		if i, ok := rb.index[k]; ok {
			return i
		}
		return -1
	}
	for i, n := range rb.named {
		if n == k {
			return i
		}
	}
	return -1
}

// push appends an attribute of the key in slot to the list and its chain.
func (rb *rebuilder) push(slot int, e rebuilt) {
	i := len(rb.entries)
	e.next = -1
	rb.entries = append(rb.entries, e)
	c := &rb.chains[slot]
	if c.tail >= 0 {
		rb.entries[c.tail].next = i
	} else {
		c.head = i
	}
	c.tail = i
}

func (rb *rebuilder) apply(attrs pcommon.Map, ops []editOp, strs interner) {
	rb.name(ops)
	rb.entries, rb.old = rb.entries[:0], rb.old[:0]
	for k, v := range attrs.All() {
		e := rebuilt{key: k, old: len(rb.old), next: -1}
		rb.old = append(rb.old, v)
		if at := rb.slot(k); at >= 0 {
			rb.push(at, e)
		} else {
			rb.entries = append(rb.entries, e)
		}
	}
	for i := range ops {
		op := &ops[i]
		c := &rb.chains[rb.slot(op.key)]
		switch op.op {
		case ffi.EditOpDelete:
			for at := c.head; at >= 0; at = rb.entries[at].next {
				rb.entries[at].dead = true
			}
			*c = chain{-1, -1}
		case ffi.EditOpSet:
			if c.head >= 0 {
				e := &rb.entries[c.head]
				e.old, e.set = -1, op
			} else {
				rb.push(rb.slot(op.key), rebuilt{key: op.key, old: -1, set: op})
			}
		case ffi.EditOpRename:
			if c.head < 0 {
				continue // as deleting an absent key
			}
			moved := rb.entries[c.head]
			rb.entries[c.head].dead = true
			if c.head = moved.next; c.head < 0 {
				c.tail = -1
			}
			to := rb.slot(op.to)
			if at := rb.chains[to].head; at >= 0 {
				e := &rb.entries[at]
				e.old, e.set = moved.old, moved.set
			} else {
				rb.push(to, rebuilt{key: op.to, old: moved.old, set: moved.set})
			}
		}
	}
	rb.keys = rb.keys[:0]
	live := rb.entries[:0]
	for _, e := range rb.entries {
		if !e.dead {
			live = append(live, e)
			rb.keys = append(rb.keys, e.key)
		}
	}
	rb.entries = live
	if !rb.ready {
		rb.built, rb.ready = pcommon.NewMap(), true
	}
	fillMap(rb.built, rb.keys, func(i int, v pcommon.Value) {
		if e := &rb.entries[i]; e.set != nil {
			e.set.set(v, strs)
		} else {
			rb.old[e.old].MoveTo(v)
		}
	})
	rb.built.MoveTo(attrs)
	clear(rb.old) // no references into the old attributes
}

// maxPutKeys is the longest list fillMap builds with Map.PutEmpty, which
// looks for each key from the first attribute.
const maxPutKeys = 32

// fillMap makes the empty map m hold an attribute per key, in order and
// repeats kept, with the values fill gives them, in time linear in the
// keys. Map.PutEmpty keeps one attribute per key and scans the map for
// it; pdata's protobuf unmarshaler is its only way to append attributes
// with neither, so a long list, or one with a repeated key, is built by
// unmarshaling its keys (keyedMap).
func fillMap(m pcommon.Map, keys []string, fill func(i int, v pcommon.Value)) {
	if len(keys) <= maxPutKeys && distinct(keys) {
		m.EnsureCapacity(len(keys))
		for i, k := range keys {
			fill(i, m.PutEmpty(k))
		}
		return
	}
	built := keyedMap(keys)
	i := 0
	for _, v := range built.All() {
		fill(i, v)
		i++
	}
	built.MoveTo(m)
}

// distinct says whether no key repeats, comparing each pair (keys are few).
func distinct(keys []string) bool {
	for i := range keys {
		for j := range i {
			if keys[i] == keys[j] {
				return false
			}
		}
	}
	return true
}

// keyedMap is a map of an attribute per key, in order and repeats kept,
// each value empty: the attributes of the one log record of an OTLP logs
// request encoded here and unmarshaled.
func keyedMap(keys []string) pcommon.Map {
	field := func(n int) int { return 1 + uvarintLen(n) + n } // a tag, a length, n bytes
	record := 0
	for _, k := range keys {
		record += field(field(len(k)))
	}
	scope := field(record)
	resource := field(scope)
	b := make([]byte, 0, field(resource))
	b = appendField(b, 1, resource) // ExportLogsServiceRequest.resource_logs
	b = appendField(b, 2, scope)    // ResourceLogs.scope_logs
	b = appendField(b, 2, record)   // ScopeLogs.log_records
	for _, k := range keys {
		b = appendField(b, 6, field(len(k))) // LogRecord.attributes
		b = appendField(b, 1, len(k))        // KeyValue.key
		b = append(b, k...)
	}
	ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	if err != nil || ld.LogRecordCount() != 1 {
		// The bytes above are well formed whatever the keys (pdata does
		// not check strings for UTF-8): only a broken pdata gets here.
		panic(fmt.Sprintf("genai: unmarshaling %d keys: %v", len(keys), err))
	}
	return ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
}

// appendField appends the tag of a length-delimited field and its length.
func appendField(b []byte, field, n int) []byte {
	b = append(b, byte(field<<3|2))
	return binary.AppendUvarint(b, uint64(n))
}

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// editReader reads the little-endian edit format; the first problem
// sticks in err and every later read returns zero values.
type editReader struct {
	b    []byte
	err  error
	strs interner // nil while only checking
}

func (r *editReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", errEdits)
		return nil
	}
	head := r.b[:n]
	r.b = r.b[n:]
	return head
}

func (r *editReader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *editReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// peekU32 is the next u32 without reading it (0 when there is none).
func (r *editReader) peekU32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(r.b)
}

func (r *editReader) peekU8() uint8 {
	if r.err != nil || len(r.b) < 1 {
		return 0
	}
	return r.b[0]
}

func (r *editReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *editReader) bytes() []byte { return r.take(int(r.u32())) }

// maxValueDepth bounds nested arrays and maps (the stages write scalars and
// flat string arrays).
const maxValueDepth = 64

// value reads one value into dst (nil: only checks it).
func (r *editReader) value(dst *pcommon.Value, depth int) {
	if depth > maxValueDepth {
		r.err = fmt.Errorf("%w: values nested too deep", errEdits)
		return
	}
	switch kind := r.u8(); kind {
	case ffi.EditValueEmpty:
	case ffi.EditValueString:
		s := r.bytes()
		if dst != nil {
			dst.SetStr(r.strs.str(s))
		}
	case ffi.EditValueBool:
		b := r.u8()
		if dst != nil {
			dst.SetBool(b != 0)
		}
	case ffi.EditValueInt:
		i := r.u64()
		if dst != nil {
			dst.SetInt(int64(i))
		}
	case ffi.EditValueDouble:
		d := r.u64()
		if dst != nil {
			dst.SetDouble(math.Float64frombits(d))
		}
	case ffi.EditValueBytes:
		b := r.bytes()
		if dst != nil {
			dst.SetEmptyBytes().FromRaw(b)
		}
	case ffi.EditValueArray:
		n := r.u32()
		var slice pcommon.Slice
		if dst != nil {
			slice = dst.SetEmptySlice()
		}
		for ; n > 0 && r.err == nil; n-- {
			var e *pcommon.Value
			if dst != nil {
				v := slice.AppendEmpty()
				e = &v
			}
			r.value(e, depth+1)
		}
	case ffi.EditValueMap:
		n := r.u32()
		if dst == nil {
			for ; n > 0 && r.err == nil; n-- {
				r.bytes()
				r.value(nil, depth+1)
			}
			return
		}
		// Read whole, then built with its repeated keys (fillMap). An
		// entry takes at least 5 bytes: n is bounded by the buffer.
		size := min(int(n), len(r.b)/5)
		keys, vals := make([]string, 0, size), make([]pcommon.Value, 0, size)
		for ; n > 0 && r.err == nil; n-- {
			key := r.strs.str(r.bytes())
			v := pcommon.NewValueEmpty()
			r.value(&v, depth+1)
			keys, vals = append(keys, key), append(vals, v)
		}
		fillMap(dst.SetEmptyMap(), keys, func(i int, v pcommon.Value) { vals[i].MoveTo(v) })
	default:
		if r.err == nil {
			r.err = fmt.Errorf("%w: value type %d", errEdits, kind)
		}
	}
}
