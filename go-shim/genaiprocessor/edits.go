package genaiprocessor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The core can answer a changed trace or log batch with edits to the batch
// we marshaled instead of a whole new batch (rust/wire/edits.rs has the
// format): per attribute list, keys to delete and keys to set, and scope
// schema URLs. Applying them to the pdata we hold costs a few map writes
// per item, where decoding a new batch costs an allocation per attribute.
//
// Edits are applied in two passes over the buffer: the first checks all of
// it (format, indices, value types) and changes nothing, so a bad buffer
// leaves the batch as it was; the second applies.

// Edit targets, as numbered in rust/wire/edits.rs.
const (
	targetResource  = 0
	targetSpan      = 1
	targetSpanEvent = 2
	targetLogRecord = 3
	targetSchemaURL = 4
)

var errEdits = errors.New("malformed edits from the genai core")

// applyTraceEdits applies edits to td, or returns an error and leaves it alone.
func applyTraceEdits(td ptrace.Traces, b []byte) error {
	locate := func(target uint8, r, s, i, e uint32) (pcommon.Map, func(string), bool) {
		rss := td.ResourceSpans()
		if int(r) >= rss.Len() {
			return pcommon.Map{}, nil, false
		}
		rs := rss.At(int(r))
		if target == targetResource {
			return rs.Resource().Attributes(), nil, true
		}
		if int(s) >= rs.ScopeSpans().Len() {
			return pcommon.Map{}, nil, false
		}
		ss := rs.ScopeSpans().At(int(s))
		switch target {
		case targetSchemaURL:
			return pcommon.Map{}, ss.SetSchemaUrl, true
		case targetSpan, targetSpanEvent:
			if int(i) >= ss.Spans().Len() {
				return pcommon.Map{}, nil, false
			}
			span := ss.Spans().At(int(i))
			if target == targetSpan {
				return span.Attributes(), nil, true
			}
			if int(e) >= span.Events().Len() {
				return pcommon.Map{}, nil, false
			}
			return span.Events().At(int(e)).Attributes(), nil, true
		}
		return pcommon.Map{}, nil, false
	}
	return applyEdits(b, locate)
}

// applyLogEdits applies edits to ld, or returns an error and leaves it alone.
func applyLogEdits(ld plog.Logs, b []byte) error {
	locate := func(target uint8, r, s, i, _ uint32) (pcommon.Map, func(string), bool) {
		rls := ld.ResourceLogs()
		if int(r) >= rls.Len() {
			return pcommon.Map{}, nil, false
		}
		rl := rls.At(int(r))
		if target == targetResource {
			return rl.Resource().Attributes(), nil, true
		}
		if int(s) >= rl.ScopeLogs().Len() {
			return pcommon.Map{}, nil, false
		}
		sl := rl.ScopeLogs().At(int(s))
		switch target {
		case targetSchemaURL:
			return pcommon.Map{}, sl.SetSchemaUrl, true
		case targetLogRecord:
			if int(i) >= sl.LogRecords().Len() {
				return pcommon.Map{}, nil, false
			}
			return sl.LogRecords().At(int(i)).Attributes(), nil, true
		}
		return pcommon.Map{}, nil, false
	}
	return applyEdits(b, locate)
}

// locator finds an entry's attribute map, or its schema URL setter.
type locator func(target uint8, resource, scope, item, event uint32) (pcommon.Map, func(string), bool)

func applyEdits(b []byte, locate locator) error {
	if err := walkEdits(b, locate, false); err != nil {
		return err
	}
	return walkEdits(b, locate, true)
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

// walkEdits reads every entry; with apply, it also makes the changes.
func walkEdits(b []byte, locate locator, apply bool) error {
	r := editReader{b: b}
	if apply {
		r.strs = interner{}
	}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		target := r.u8()
		res, scope, item, event := r.u32(), r.u32(), r.u32(), r.u32()
		if r.err != nil {
			break
		}
		attrs, setSchema, ok := locate(target, res, scope, item, event)
		if !ok {
			return fmt.Errorf("%w: no target %d at %d/%d/%d/%d", errEdits, target, res, scope, item, event)
		}
		if setSchema != nil {
			url := r.bytes()
			if apply {
				setSchema(string(url))
			}
			continue
		}
		ops := r.u32()
		if apply {
			// One allocation for the keys this entry may add, not one
			// growth step after another.
			attrs.EnsureCapacity(attrs.Len() + int(ops))
		}
		for ; ops > 0 && r.err == nil; ops-- {
			kind, key := r.u8(), r.bytes()
			switch {
			case r.err != nil:
			case kind == 0:
				if apply {
					// Map.Remove moves the last attribute into the gap;
					// RemoveIf keeps the order, as the core's lists do.
					attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return k == string(key) })
				}
			case kind == 1:
				var v *pcommon.Value
				if apply {
					pv := attrs.PutEmpty(r.strs.str(key))
					v = &pv
				}
				r.value(v, 0)
			default:
				r.err = fmt.Errorf("%w: op %d", errEdits, kind)
			}
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", errEdits, len(r.b))
	}
	return r.err
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
	case 0: // empty
	case 1:
		s := r.bytes()
		if dst != nil {
			dst.SetStr(r.strs.str(s))
		}
	case 2:
		b := r.u8()
		if dst != nil {
			dst.SetBool(b != 0)
		}
	case 3:
		i := r.u64()
		if dst != nil {
			dst.SetInt(int64(i))
		}
	case 4:
		d := r.u64()
		if dst != nil {
			dst.SetDouble(math.Float64frombits(d))
		}
	case 5:
		b := r.bytes()
		if dst != nil {
			dst.SetEmptyBytes().FromRaw(b)
		}
	case 6:
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
	case 7:
		n := r.u32()
		var m pcommon.Map
		if dst != nil {
			m = dst.SetEmptyMap()
		}
		for ; n > 0 && r.err == nil; n-- {
			key := r.bytes()
			var e *pcommon.Value
			if dst != nil && r.err == nil {
				v := m.PutEmpty(r.strs.str(key))
				e = &v
			}
			r.value(e, depth+1)
		}
	default:
		if r.err == nil {
			r.err = fmt.Errorf("%w: value type %d", errEdits, kind)
		}
	}
}
