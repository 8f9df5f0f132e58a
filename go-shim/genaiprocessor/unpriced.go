package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"cmp"
	"container/heap"
	"slices"
	"strings"
	"sync"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// The models calls were left unpriced for, shown as the gauge
// otelcol_processor_genai_unpriced_model_calls{model, provider}: what to
// add to a pricing file.
//
// The core names, per batch, at most 16 (model, provider) pairs with their
// calls (rust/ffi.rs, GenaiResult.unknown_models), so a batch costs the
// tally at most 16 updates. Across batches the names are unbounded (a
// client chooses them), so the tally is a space-saving summary (Metwally,
// Agrawal, El Abbadi, 2005): it tracks a fixed number of pairs; a pair not
// tracked, when none is free, takes the place of the pair with the fewest
// calls and inherits its count. The counts then add up to every call
// tallied, and a pair with more than 1/tracked of the calls is always
// tracked, its count over-estimated by at most the inherited count.

// otherModel is the model of the overflow series: the calls of the pairs
// not among the top ones shown, and of those the core did not name.
const otherModel = "_other"

// maxUnpricedNameBytes bounds a model or provider name in the tally (the
// core already shortens them to 256 bytes).
const maxUnpricedNameBytes = 256

// trackedPairs is how many pairs a tally showing top of them tracks.
func trackedPairs(top int) int {
	return max(4*top, 64)
}

type unpricedKey struct{ model, provider string }

type unpricedEntry struct {
	key   unpricedKey
	calls uint64
	index int // in the heap
}

// unpricedTally is the bounded tally of unpriced calls per model and
// provider; safe for concurrent use.
type unpricedTally struct {
	mu      sync.Mutex
	top     int
	tracked int
	entries map[unpricedKey]*unpricedEntry
	// byCalls is a min-heap of the entries on calls: the first is the one
	// a new pair replaces.
	byCalls unpricedHeap
	// unnamed counts the calls the core counted beyond the pairs it listed.
	unnamed uint64
	// nameBytes is the bytes of the names tracked.
	nameBytes int
}

func newUnpricedTally(top int) *unpricedTally {
	tracked := trackedPairs(top)
	return &unpricedTally{
		top:     top,
		tracked: tracked,
		entries: make(map[unpricedKey]*unpricedEntry, tracked),
		byCalls: make(unpricedHeap, 0, tracked),
	}
}

// add tallies one batch's unpriced calls; a nil tally (unpriced_models
// off) takes none.
func (t *unpricedTally) add(models []ffi.UnknownModel) {
	if t == nil || len(models) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range models {
		if m.Model == "" {
			t.unnamed += m.Calls
			continue
		}
		t.count(unpricedKey{labelValue(m.Model), labelValue(m.Provider)}, m.Calls)
	}
}

// count adds calls to key; under mu.
func (t *unpricedTally) count(key unpricedKey, calls uint64) {
	if e, ok := t.entries[key]; ok {
		e.calls += calls
		heap.Fix(&t.byCalls, e.index)
		return
	}
	if len(t.byCalls) < t.tracked {
		e := &unpricedEntry{key: key, calls: calls}
		t.entries[key] = e
		heap.Push(&t.byCalls, e)
		t.nameBytes += len(key.model) + len(key.provider)
		return
	}
	// The pair with the fewest calls gives its place, and its count, up.
	e := t.byCalls[0]
	delete(t.entries, e.key)
	t.nameBytes += len(key.model) + len(key.provider) - len(e.key.model) - len(e.key.provider)
	e.key = key
	e.calls += calls
	t.entries[e.key] = e
	heap.Fix(&t.byCalls, 0)
}

// labelValue is a name as a label value: valid UTF-8, at most
// maxUnpricedNameBytes bytes, cut at a character boundary; a copy, not
// sharing memory with the core's answer.
func labelValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxUnpricedNameBytes {
		end := maxUnpricedNameBytes
		for end > 0 && !utf8RuneStart(s[end]) {
			end--
		}
		s = s[:end]
	}
	return strings.Clone(s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// unpricedSeries is one series of the gauge.
type unpricedSeries struct {
	model, provider string
	calls           uint64
}

// series is what the gauge shows: the top pairs by calls (ties by name),
// then, when any call is left, one series with model otherModel and no
// provider for the rest.
func (t *unpricedTally) series() []unpricedSeries {
	t.mu.Lock()
	all := make([]unpricedSeries, 0, len(t.byCalls))
	for _, e := range t.byCalls {
		all = append(all, unpricedSeries{e.key.model, e.key.provider, e.calls})
	}
	other := t.unnamed
	t.mu.Unlock()
	slices.SortFunc(all, func(a, b unpricedSeries) int {
		return cmp.Or(cmp.Compare(b.calls, a.calls), cmp.Compare(a.model, b.model), cmp.Compare(a.provider, b.provider))
	})
	shown := all[:min(t.top, len(all))]
	for _, s := range all[len(shown):] {
		other += s.calls
	}
	if other > 0 {
		shown = append(shown, unpricedSeries{model: otherModel, calls: other})
	}
	return shown
}

// size is the pairs tracked and the bytes of their names.
func (t *unpricedTally) size() (pairs, nameBytes int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries), t.nameBytes
}

// unpricedHeap orders entries by calls, fewest first.
type unpricedHeap []*unpricedEntry

func (h unpricedHeap) Len() int           { return len(h) }
func (h unpricedHeap) Less(i, j int) bool { return h[i].calls < h[j].calls }
func (h unpricedHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *unpricedHeap) Push(x any) {
	e := x.(*unpricedEntry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *unpricedHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// unknownModelNames are the distinct model names of one batch's unpriced
// calls, for the debug log.
func unknownModelNames(models []ffi.UnknownModel) []string {
	names := make([]string, 0, len(models))
	for _, m := range models {
		if m.Model != "" && !slices.Contains(names, m.Model) {
			names = append(names, m.Model)
		}
	}
	return names
}
