package genaiprocessor

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// editConfigs switch the options that change what the core writes.
var editConfigs = []string{
	`{}`,
	`{"normalize":{"overwrite":true,"remove_originals":true}}`,
	`{"normalize":{"environment":"name"},"cost":{"breakdown":true}}`,
}

// capturedBatches are the recorded outputs of real instrumentation
// libraries (tests/fixtures/captured) plus this package's GenAI batches.
func capturedBatches(t *testing.T) (map[string]ptrace.Traces, map[string]plog.Logs, map[string]pmetric.Metrics) {
	traces := map[string]ptrace.Traces{"genai": genaiTraces()}
	logs := map[string]plog.Logs{"genai": genaiLogs()}
	metrics := map[string]pmetric.Metrics{"genai": genaiMetrics()}
	dirs, err := filepath.Glob("../../tests/fixtures/captured/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "captured fixtures")
	for _, dir := range dirs {
		if b, err := os.ReadFile(filepath.Join(dir, "traces.pb")); err == nil {
			td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
			require.NoError(t, err)
			traces[dir] = td
		}
		if b, err := os.ReadFile(filepath.Join(dir, "logs.pb")); err == nil {
			ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
			require.NoError(t, err)
			logs[dir] = ld
		}
		if b, err := os.ReadFile(filepath.Join(dir, "metrics.pb")); err == nil {
			md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
			require.NoError(t, err)
			metrics[dir] = md
		}
	}
	return traces, logs, metrics
}

// testCodec is a signal's codec (batch.go) with a deep copy, for the tests
// that compare edited copies with the core's whole answer.
type testCodec[T any] struct {
	*codec[T]
	clone func(T) T
}

var (
	tracesTest = testCodec[ptrace.Traces]{&tracesCodec,
		func(td ptrace.Traces) ptrace.Traces { c := ptrace.NewTraces(); td.CopyTo(c); return c }}
	logsTest = testCodec[plog.Logs]{&logsCodec,
		func(ld plog.Logs) plog.Logs { c := plog.NewLogs(); ld.CopyTo(c); return c }}
	metricsTest = testCodec[pmetric.Metrics]{&metricsCodec,
		func(md pmetric.Metrics) pmetric.Metrics { c := pmetric.NewMetrics(); md.CopyTo(c); return c }}
)

// editsOf is batch marshaled and the edits the core answers it with.
func editsOf[T any](t *testing.T, core *ffi.Processor, c testCodec[T], batch T) (in, edits []byte) {
	in, err := c.marshal(batch)
	require.NoError(t, err)
	_, err = core.Edit(context.Background(), c.signal, in, func(b []byte, isEdits bool) error {
		require.True(t, isEdits)
		edits = bytes.Clone(b)
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, edits)
	return in, edits
}

// A malformed edit buffer, whatever is wrong with it, is an error and
// leaves the batch exactly as it was.
func TestMalformedEditsChangeNothing(t *testing.T) {
	core, err := ffi.New([]byte(`{}`))
	require.NoError(t, err)
	defer core.Close()
	in, edits := editsOf(t, core, tracesTest, genaiTraces())

	bad := [][]byte{nil, {1}, append(bytes.Clone(edits), 0)}
	for n := 1; n < len(edits); n++ {
		bad = append(bad, edits[:n]) // every truncation
	}
	for _, i := range []int{4, 5, 9, 21} { // target, resource index, op count, ...
		b := bytes.Clone(edits)
		b[i] ^= 0x7f
		bad = append(bad, b)
	}
	for _, b := range bad {
		got := genaiTraces()
		if err := applyTraceEdits(got, b); err == nil {
			continue // a corrupted byte may still make valid edits
		}
		gotBytes, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(got)
		assert.Equal(t, in, gotBytes, "a failed edit changed the batch (%x)", b)
	}
	// Edits meant for traces do not fit logs or metrics.
	assert.Error(t, applyLogEdits(genaiLogs(), edits))
	assert.Error(t, applyMetricEdits(genaiMetrics(), edits))
}

// The same for metric edits, whose appended batches are decoded in the
// checking pass: a corrupt one is an error before anything changes.
func TestMalformedMetricEditsChangeNothing(t *testing.T) {
	core, err := ffi.New([]byte(`{}`))
	require.NoError(t, err)
	defer core.Close()
	in, edits := editsOf(t, core, metricsTest, genaiMetrics())
	bad := [][]byte{nil, append(bytes.Clone(edits), 0)}
	for n := 1; n < len(edits); n += 7 {
		bad = append(bad, edits[:n])
	}
	// The appended batch is last (the cost histogram the workload lacks):
	// corrupt its protobuf bytes one by one.
	for i := len(edits) - 1; i > len(edits)-40; i-- {
		b := bytes.Clone(edits)
		b[i] = 0xff
		bad = append(bad, b)
	}
	failed := 0
	for _, b := range bad {
		got := genaiMetrics()
		if err := applyMetricEdits(got, b); err == nil {
			continue // a corrupted byte may still make valid edits
		}
		failed++
		gotBytes, _ := (&pmetric.ProtoMarshaler{}).MarshalMetrics(got)
		assert.Equal(t, in, gotBytes, "a failed edit changed the batch (%x)", b)
	}
	assert.Greater(t, failed, len(bad)/2)
	assert.Error(t, applyTraceEdits(genaiTraces(), edits), "metric edits do not fit traces")
}

// The interner hands back equal strings, one shared string for repeats of
// a short one, and a fresh copy once full or for long strings.
func TestInternerSharesShortRepeatsWithinBounds(t *testing.T) {
	in := interner{}
	data := func(s string) *byte { return unsafe.StringData(s) }

	a, b := in.str([]byte("gen_ai.provider.name")), in.str([]byte("gen_ai.provider.name"))
	assert.Equal(t, "gen_ai.provider.name", a)
	assert.Same(t, data(a), data(b), "a repeat shares the first string")

	long := bytes.Repeat([]byte("x"), maxInterned+1)
	l1, l2 := in.str(long), in.str(long)
	assert.Equal(t, string(long), l1)
	assert.NotSame(t, data(l1), data(l2), "long strings are not kept")

	for i := 0; len(in) < maxInternedCount; i++ {
		in.str([]byte(fmt.Sprintf("key-%d", i)))
	}
	x1, x2 := in.str([]byte("one more")), in.str([]byte("one more"))
	assert.Equal(t, "one more", x1)
	assert.NotSame(t, data(x1), data(x2), "a full interner keeps nothing new")
	assert.Len(t, in, maxInternedCount)
}

// opsOneByOne makes ops on attrs one at a time with Map's methods: the
// semantics applyOps keeps, in a scan of the list per op.
func opsOneByOne(attrs pcommon.Map, ops []editOp) {
	for i := range ops {
		op := &ops[i]
		switch op.op {
		case 0:
			// Map.Remove moves the last attribute into the gap; RemoveIf
			// keeps the order, as the core's lists do.
			attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return k == op.key })
		case 1:
			op.set(attrs.PutEmpty(op.key), interner{})
		case 2:
			v, ok := attrs.Get(op.key)
			if !ok {
				continue
			}
			own := pcommon.NewValueEmpty()
			v.MoveTo(own)
			first := true
			attrs.RemoveIf(func(k string, _ pcommon.Value) bool {
				if first && k == op.key {
					first = false
					return true
				}
				return false
			})
			own.MoveTo(attrs.PutEmpty(op.to))
		}
	}
}

// pairs is a map's attributes in order, repeats included.
func pairs(m pcommon.Map) []string {
	var out []string
	for k, v := range m.All() {
		out = append(out, k+"="+v.AsString())
	}
	return out
}

// The rebuilt list equals the ops made one by one, on random lists, with
// repeated keys or not, and random ops, valid or not (a rename onto a
// present key, onto itself).
func TestRebuiltListsEqualOpsOneByOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	few := []string{"a", "b", "c", "d", "e", "f", "a_", "b_"}
	// Lists whose ops name more keys than maxScannedNames (found through
	// the rebuilder's index) and more attributes than maxScannedSets
	// allows to scan.
	var many []string
	for i := range 3 * maxScannedNames {
		many = append(many, fmt.Sprint("k", i))
	}
	var rb rebuilder
	// The last list rebuilt, and what it held: building the next one in
	// the rebuilder's reused map must not touch it.
	var prev pcommon.Map
	var prevPairs []string
	for n := 0; n < 5000; n++ {
		keys := few
		if n%7 == 0 {
			keys = many
		}
		var listKeys []string
		for range rng.IntN(2 * len(keys)) {
			listKeys = append(listKeys, keys[rng.IntN(len(keys))])
		}
		if n%2 == 0 { // without repeats
			slices.Sort(listKeys)
			listKeys = slices.Compact(listKeys)
		}
		if n%5 == 0 { // long: past maxPutKeys
			for i := range 2 * maxPutKeys {
				listKeys = append(listKeys, fmt.Sprint("long.", i))
			}
		}
		m := keyedMap(listKeys)
		i := 0
		for _, v := range m.All() {
			v.SetStr(fmt.Sprint("v", i))
			i++
		}
		var ops []editOp
		for range rng.IntN(2 * maxScannedNames) {
			k := keys[rng.IntN(len(keys))]
			switch rng.IntN(3) {
			case 0:
				ops = append(ops, editOp{op: 0, key: k})
			case 1:
				ops = append(ops, editOp{op: 1, key: k, kind: 1, str: fmt.Sprint("set-", n)})
			case 2:
				ops = append(ops, editOp{op: 2, key: k, to: keys[rng.IntN(len(keys))]})
			}
		}
		want := pcommon.NewMap()
		m.CopyTo(want)
		opsOneByOne(want, ops)
		got := pcommon.NewMap()
		m.CopyTo(got)
		applyOps(got, ops, &rb, interner{})
		require.Equal(t, pairs(want), pairs(got), "list %v, ops %+v", listKeys, ops)
		if prevPairs != nil {
			require.Equal(t, prevPairs, pairs(prev), "the list before, after this one")
		}
		prev, prevPairs = got, pairs(got)
	}

	// Two attributes "dup" and one "x.y", as only decoded bytes can give.
	md := pmetric.NewMetrics()
	dp := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	dp.Attributes().PutStr("dup", "1")
	dp.Attributes().PutStr("dXp", "2")
	dp.Attributes().PutStr("x.y", "3")
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	md, err = (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(bytes.Replace(b, []byte("dXp"), []byte("dup"), 1))
	require.NoError(t, err)
	attrs := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints().At(0).Attributes()
	require.Equal(t, 3, attrs.Len())
	applyOps(attrs, []editOp{{op: 2, key: "x.y", to: "x_y"}}, &rb, interner{})
	assert.Equal(t, []string{"dup=1", "dup=2", "x_y=3"}, pairs(attrs))
}
