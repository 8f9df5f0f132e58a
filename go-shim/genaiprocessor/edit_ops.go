package genaiprocessor

// Applying one attribute list's ops to a pcommon.Map with Map's
// semantics, in time linear in the list and the ops.

import (
	"encoding/binary"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// applyOps makes one list entry's changes, with Map's semantics for each
// op in turn: a delete removes every attribute of its key, a set changes
// the first of its key or appends, a rename removes the first of its key
// and sets its value under the new one. Sets alone on a short list are
// made on the map, a scan of it per set; anything else rebuilds the list
// once (rebuilder), in time linear in the list and the ops.
func applyOps(attrs pcommon.Map, ops []editOp, rb *rebuilder, strs interner) {
	small := len(ops)*attrs.Len() <= maxScannedSets
	for i := range ops {
		switch {
		case ops[i].op == ffi.EditOpSet && small:
			continue
		case small:
			rb.applyScanning(attrs, ops, strs)
		default:
			rb.apply(attrs, ops, strs)
		}
		return
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
	named     []string
	index     map[string]int
	indexed   bool // index holds named (more than maxScannedNames of them)
	indexSize int  // the most keys index was made or used for
	chains    []chain
	keys      []string // the result's keys, in order
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
// found through a map rather than compared one by one with each key. A
// metric point's ops name a few dozen keys (each label renamed, the
// resource labels set); comparing strings that differ, mostly in length,
// costs less than hashing each of them, and the work per attribute stays
// bounded by this constant.
const maxScannedNames = 48

// name sets up the slots of the keys ops name.
func (rb *rebuilder) name(ops []editOp) {
	rb.named, rb.chains, rb.indexed = rb.named[:0], rb.chains[:0], false
	add := func(k string) {
		if rb.slot(k) < 0 {
			if rb.indexed {
				rb.index[k] = len(rb.named)
			}
			rb.named = append(rb.named, k)
			rb.chains = append(rb.chains, chain{-1, -1})
			if !rb.indexed && len(rb.named) > maxScannedNames {
				rb.newIndex(2 * len(ops))
				for i, k := range rb.named {
					rb.index[k] = i
				}
				rb.indexed = true
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

// newIndex empties the index for up to n keys. A small one is reused
// from list to list; one that grew past maxReusedIndex is dropped, since
// clearing a map costs its capacity, not its entries.
func (rb *rebuilder) newIndex(n int) {
	if rb.index == nil || rb.indexSize > maxReusedIndex || n > maxReusedIndex {
		rb.index = make(map[string]int, n)
		rb.indexSize = n
		return
	}
	clear(rb.index)
	rb.indexSize = max(rb.indexSize, n)
}

// maxReusedIndex is the most keys an index is sized for and still reused.
const maxReusedIndex = 1024

// slot is the slot of a key the ops name, -1 for any other.
func (rb *rebuilder) slot(k string) int {
	if rb.indexed {
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
	rb.build(attrs, strs)
}

// applyScanning is apply for a short list with few ops (ops times
// attributes at most maxScannedSets): each op finds its key by scanning
// the list, which costs less there than chaining the keys the ops name.
// The same Map semantics, the same result.
func (rb *rebuilder) applyScanning(attrs pcommon.Map, ops []editOp, strs interner) {
	rb.entries, rb.old = rb.entries[:0], rb.old[:0]
	for k, v := range attrs.All() {
		rb.entries = append(rb.entries, rebuilt{key: k, old: len(rb.old), next: -1})
		rb.old = append(rb.old, v)
	}
	first := func(k string) int {
		for i := range rb.entries {
			if e := &rb.entries[i]; !e.dead && e.key == k {
				return i
			}
		}
		return -1
	}
	for i := range ops {
		op := &ops[i]
		switch op.op {
		case ffi.EditOpDelete:
			for j := range rb.entries {
				if rb.entries[j].key == op.key {
					rb.entries[j].dead = true
				}
			}
		case ffi.EditOpSet:
			if at := first(op.key); at >= 0 {
				rb.entries[at].old, rb.entries[at].set = -1, op
			} else {
				rb.entries = append(rb.entries, rebuilt{key: op.key, old: -1, set: op, next: -1})
			}
		case ffi.EditOpRename:
			at := first(op.key)
			if at < 0 {
				continue // as deleting an absent key
			}
			moved := rb.entries[at]
			rb.entries[at].dead = true
			if to := first(op.to); to >= 0 {
				rb.entries[to].old, rb.entries[to].set = moved.old, moved.set
			} else {
				rb.entries = append(rb.entries, rebuilt{key: op.to, old: moved.old, set: moved.set, next: -1})
			}
		}
	}
	rb.build(attrs, strs)
}

// build makes attrs the live entries, in order, their values moved from
// the old list or set by the ops.
func (rb *rebuilder) build(attrs pcommon.Map, strs interner) {
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
