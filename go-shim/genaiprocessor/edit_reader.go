package genaiprocessor

// Reading the edit buffer (rust/edit_format.rs): its integers, strings,
// values and list ops, with equal strings shared through an interner.

import (
	"encoding/binary"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

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
