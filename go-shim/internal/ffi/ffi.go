// Package ffi is the thin cgo layer over the Rust core's C ABI
// (include/otelcol_genai.h, generated from rust/ffi.rs). It owns every
// Rust buffer it sees: each is released before a function returns, and
// nothing Rust-owned escapes to the caller except through the short-lived
// view handed to a decode callback.
//
// otelcol_genai.h in this directory is a symlink to the generated header:
// Go's build cache hashes a package's own .h files but not headers found
// through -I, so without it a changed header (a field added to a struct)
// left a stale cgo build reading the core's results at the wrong offsets.
package ffi

/*
#cgo CFLAGS: -I${SRCDIR}/../../../include
#include <stdlib.h>
#include "otelcol_genai.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Signal selects the per-signal entry point of the core.
type Signal int

// The three OTLP signals.
const (
	Traces Signal = iota
	Metrics
	Logs
)

// String names the signal as in the collector's pipeline IDs.
func (s Signal) String() string {
	switch s {
	case Traces:
		return "traces"
	case Metrics:
		return "metrics"
	case Logs:
		return "logs"
	}
	return fmt.Sprintf("signal(%d)", int(s))
}

// Status is a GenaiStatus returned by the core.
type Status int

// Statuses, mirrored from the header so that callers need not import C.
const (
	StatusOK              Status = C.GENAI_STATUS_OK
	StatusInvalidArgument Status = C.GENAI_STATUS_INVALID_ARGUMENT
	StatusInvalidConfig   Status = C.GENAI_STATUS_INVALID_CONFIG
	StatusInvalidHandle   Status = C.GENAI_STATUS_INVALID_HANDLE
	StatusDecode          Status = C.GENAI_STATUS_DECODE
	StatusPanic           Status = C.GENAI_STATUS_PANIC
)

// The edit buffer's numbers (rust/edit_format.rs specifies the format), from
// the generated header so the reader and the Rust writer cannot drift.
const (
	EditTargetResource        = C.GENAI_EDIT_TARGET_RESOURCE
	EditTargetSpan            = C.GENAI_EDIT_TARGET_SPAN
	EditTargetSpanEvent       = C.GENAI_EDIT_TARGET_SPAN_EVENT
	EditTargetLogRecord       = C.GENAI_EDIT_TARGET_LOG_RECORD
	EditTargetSchemaURL       = C.GENAI_EDIT_TARGET_SCHEMA_URL
	EditTargetDataPoint       = C.GENAI_EDIT_TARGET_DATA_POINT
	EditTargetMetricName      = C.GENAI_EDIT_TARGET_METRIC_NAME
	EditTargetAppendedPoints  = C.GENAI_EDIT_TARGET_APPENDED_POINTS
	EditTargetAppendedMetrics = C.GENAI_EDIT_TARGET_APPENDED_METRICS

	EditOpDelete = C.GENAI_EDIT_OP_DELETE
	EditOpSet    = C.GENAI_EDIT_OP_SET
	EditOpRename = C.GENAI_EDIT_OP_RENAME
	// EditRepeat in place of an op count: the previous list entry's ops again.
	EditRepeat = C.GENAI_EDIT_REPEAT

	EditValueEmpty  = C.GENAI_EDIT_VALUE_EMPTY
	EditValueString = C.GENAI_EDIT_VALUE_STRING
	EditValueBool   = C.GENAI_EDIT_VALUE_BOOL
	EditValueInt    = C.GENAI_EDIT_VALUE_INT
	EditValueDouble = C.GENAI_EDIT_VALUE_DOUBLE
	EditValueBytes  = C.GENAI_EDIT_VALUE_BYTES
	EditValueArray  = C.GENAI_EDIT_VALUE_ARRAY
	EditValueMap    = C.GENAI_EDIT_VALUE_MAP
)

// String is the core's own name for the status (e.g. "invalid_handle").
func (s Status) String() string {
	return C.GoString(C.genai_status_name(C.int32_t(s)))
}

// Error is a non-OK status with the core's message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("genai core: %s: %s", e.Status, e.Message)
}

// StatusOf returns the core status carried by err, or StatusOK when err does
// not come from the core.
func StatusOf(err error) Status {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return StatusOK
}

// ConfigMessage is a configuration error as the user reads it: the core's
// message alone, which names the offending field, without the status; an
// error not from the core as it is, and nil as nil.
func ConfigMessage(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

// Version is the Rust library's version.
func Version() string { return C.GoString(C.genai_version()) }

// libraryDigest is the SHA-256 of the libotelcol_genai.a linked in, set by
// scripts/build-collector.sh with -ldflags -X. Besides being logged, it makes
// `go build` relink when only the Rust library changed: Go does not hash
// files named in #cgo LDFLAGS, so it would keep a binary with the old core.
var libraryDigest = "unknown"

// LibraryDigest identifies the Rust library build linked in ("unknown"
// outside scripts/build-collector.sh).
func LibraryDigest() string { return libraryDigest }

// Stats are the per-batch counters of rust/stats.rs.
type Stats struct {
	Items                uint64
	AttributesNormalized uint64
	ValuesNormalized     uint64
	CoercionFailures     uint64
	CostsComputed        uint64
	CostsExisting        uint64
	CostUnknownModel     uint64
	CostNoTokens         uint64
	CostNonNumericTokens uint64
	CostPointsDerived    uint64
	MetricsRenamed       uint64
	MetricNameCollisions uint64
	// PointAttributesDropped: per-request attributes the cardinality guard
	// dropped from GenAI metric points.
	PointAttributesDropped uint64
}

func statsFrom(s *C.GenaiStats) Stats {
	return Stats{
		Items:                  uint64(s.items),
		AttributesNormalized:   uint64(s.attributes_normalized),
		ValuesNormalized:       uint64(s.values_normalized),
		CoercionFailures:       uint64(s.coercion_failures),
		CostsComputed:          uint64(s.costs_computed),
		CostsExisting:          uint64(s.costs_existing),
		CostUnknownModel:       uint64(s.cost_unknown_model),
		CostNoTokens:           uint64(s.cost_no_tokens),
		CostNonNumericTokens:   uint64(s.cost_non_numeric_tokens),
		CostPointsDerived:      uint64(s.cost_points_derived),
		MetricsRenamed:         uint64(s.metrics_renamed),
		MetricNameCollisions:   uint64(s.metric_name_collisions),
		PointAttributesDropped: uint64(s.point_attributes_dropped),
	}
}

// Outcome is what one Process call reports besides the transformed batch.
type Outcome struct {
	// Changed says whether the core produced a new batch (and the decode
	// callback ran).
	Changed bool
	// Edits says the callback got edits to apply to the input
	// (rust/edit_format.rs) rather than a whole batch (only from Edit).
	Edits bool
	// Stats are this batch's counters.
	Stats Stats
	// UnknownModels are the calls left unpriced because no pricing table
	// knows their model, per model and provider (at most 16 pairs; the
	// calls of further pairs in one entry with an empty Model).
	UnknownModels []UnknownModel
	// CallDuration is the time spent inside the core's process call only.
	CallDuration time.Duration
}

// UnknownModel is one line of the core's unknown_models buffer
// (GenaiResult in rust/ffi.rs): a model no pricing table knows, the
// provider it was called through (gen_ai.provider.name, empty when not
// reported) and the batch's calls of it. Model is empty for the calls of
// the pairs beyond those the core lists.
type UnknownModel struct {
	Model, Provider string
	Calls           uint64
}

// unknownModels reads the unknown_models buffer: lines of model TAB
// provider TAB calls. A line that does not read so is skipped.
func unknownModels(text string) []UnknownModel {
	if text == "" {
		return nil
	}
	var out []UnknownModel
	for line := range strings.Lines(text) {
		model, rest, ok1 := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		provider, calls, ok2 := strings.Cut(rest, "\t")
		n, err := strconv.ParseUint(calls, 10, 64)
		if !ok1 || !ok2 || err != nil {
			continue
		}
		out = append(out, UnknownModel{Model: model, Provider: provider, Calls: n})
	}
	return out
}

// goBytes points C at the first byte of b without copying. cgo allows
// passing a pointer to Go memory that holds no Go pointers; the core only
// reads it during the call.
func goBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// view aliases a Rust-owned buffer as a Go slice. It is valid only until the
// buffer is freed.
func view(b C.GenaiBuffer) []byte {
	if b.ptr == nil || b.len == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(b.ptr)), int(b.len))
}

// takeError turns a Rust error buffer into an *Error and frees the buffer.
func takeError(status C.enum_GenaiStatus, buf *C.GenaiBuffer) error {
	msg := string(view(*buf))
	C.genai_buffer_free(buf)
	return &Error{Status: Status(status), Message: msg}
}

// ValidateConfig checks a JSON configuration exactly as the core would when
// creating a processor. The error message names the offending field.
func ValidateConfig(config []byte) error {
	return validate(config, validateProcessor)
}

// A core call that checks a JSON configuration (genai_config_validate,
// genai_connector_config_validate).
type validator func(*C.uint8_t, C.size_t, *C.GenaiBuffer) C.enum_GenaiStatus

func validateProcessor(ptr *C.uint8_t, n C.size_t, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_config_validate(ptr, n, errBuf)
}

func validate(config []byte, check validator) error {
	var errBuf C.GenaiBuffer
	ptr, n := goBytes(config)
	if st := check(ptr, n, &errBuf); st != C.GENAI_STATUS_OK {
		return takeError(st, &errBuf)
	}
	return nil
}

// Processor owns one core handle. Its methods are safe for concurrent use;
// a nil *Processor is valid and behaves like a closed one (every call
// reports StatusInvalidHandle from the core).
type Processor struct {
	handle C.GenaiHandle
	closed atomic.Bool
	// The answers of IsGenAIKey and IsGenAIMetricName, which never change
	// for a handle.
	genaiKeys, genaiNames answers
}

// answers remembers a question's answers per string: an immutable map, so
// that the lookups, one per attribute key or metric name of every batch,
// take no lock. New answers wait in pending (under mu) and are copied into
// a new map once they number a quarter of the map (it grows
// geometrically), or once lookups found them in pending as many times as
// the map holds strings: either way the copying costs no more than the
// answers or the locked lookups it replaces, and a workload's keys stop
// taking the lock soon after their first batch. At most maxCachedKeys
// strings of at most maxCachedKeyBytes bytes in all, none longer than
// maxCachedKeyLen: beyond, strings of unbounded cardinality or size cost a
// core call each instead of memory.
type answers struct {
	known   atomic.Pointer[map[string]bool]
	mu      sync.Mutex
	pending map[string]bool
	// Lookups answered from pending since the last copy.
	pendingHits int
	// The bytes of the strings in known and pending (each is in one of
	// them, or in both while shared by a copy: counted once).
	bytes int
}

// The bounds of each cache of answers. Instrumentations use a few hundred
// attribute keys and metric names at most, almost all under 64 bytes, so
// the byte budget holds 8,192 such keys; a longer key (which a client may
// make megabytes long) is answered by the core every time it is seen,
// which costs time linear in its length, as reading it did, and no memory
// beyond the call. A cache's strings thus hold at most maxCachedKeyBytes
// (512 KiB) whatever the traffic, besides its maps' entries.
const (
	maxCachedKeys     = 8192
	maxCachedKeyLen   = 256
	maxCachedKeyBytes = 512 << 10
)

// New creates a core processor from a JSON configuration.
func New(config []byte) (*Processor, error) {
	handle, err := create(config, createProcessor)
	if err != nil {
		return nil, err
	}
	return &Processor{handle: handle}, nil
}

// A core call that creates a handle from a JSON configuration
// (genai_processor_new, genai_connector_new).
type creator func(*C.uint8_t, C.size_t, *C.GenaiHandle, *C.GenaiBuffer) C.enum_GenaiStatus

func createProcessor(ptr *C.uint8_t, n C.size_t, out *C.GenaiHandle, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_processor_new(ptr, n, out, errBuf)
}

func create(config []byte, build creator) (C.GenaiHandle, error) {
	var (
		handle C.GenaiHandle
		errBuf C.GenaiBuffer
	)
	ptr, n := goBytes(config)
	if st := build(ptr, n, &handle, &errBuf); st != C.GENAI_STATUS_OK {
		return 0, takeError(st, &errBuf)
	}
	return handle, nil
}

// IsGenAIKey tells whether an attribute key is a GenAI key to the core. A
// trace or log batch none of whose resource, span, span event or log
// record attribute keys is one comes back from Process unchanged, so the
// caller may pass it on without marshaling it.
func (p *Processor) IsGenAIKey(key string) (bool, error) {
	if p == nil {
		return false, errNilProcessor
	}
	return p.genaiKeys.ask(p.handle, key, askKey)
}

// IsGenAIMetricName tells whether a metric name is a GenAI metric name to
// the core. A metric batch none of whose metric names is one and none of
// whose resource or data point attribute keys is a GenAI key
// (IsGenAIKey) comes back from Process unchanged, so the caller may pass
// it on without marshaling it.
func (p *Processor) IsGenAIMetricName(name string) (bool, error) {
	if p == nil {
		return false, errNilProcessor
	}
	return p.genaiNames.ask(p.handle, name, askMetricName)
}

var errNilProcessor = &Error{Status: StatusInvalidHandle, Message: "nil genai processor"}

// A core question about a string: genai_attribute_key_is_genai or
// genai_metric_name_is_genai.
type question func(C.GenaiHandle, *C.uint8_t, C.size_t, *C.bool, *C.GenaiBuffer) C.enum_GenaiStatus

func askKey(h C.GenaiHandle, s *C.uint8_t, n C.size_t, answer *C.bool, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_attribute_key_is_genai(h, s, n, answer, errBuf)
}

func askMetricName(h C.GenaiHandle, s *C.uint8_t, n C.size_t, answer *C.bool, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_metric_name_is_genai(h, s, n, answer, errBuf)
}

// ask answers from the cache, or asks the core and remembers.
func (a *answers) ask(handle C.GenaiHandle, s string, q question) (bool, error) {
	if len(s) > maxCachedKeyLen {
		// Never remembered (maxCachedKeyLen): a lookup would only hash it.
		return askCore(handle, s, q)
	}
	if known := a.known.Load(); known != nil {
		if v, ok := (*known)[s]; ok {
			return v, nil
		}
	}
	a.mu.Lock()
	v, ok := a.pending[s]
	if ok {
		a.pendingHits++
		if a.pendingHits >= a.knownLen() {
			a.publish()
		}
	}
	a.mu.Unlock()
	if ok {
		return v, nil
	}
	answer, err := askCore(handle, s, q)
	if err != nil {
		return false, err
	}
	a.remember(s, answer)
	return answer, nil
}

// askCore asks the core q about s.
func askCore(handle C.GenaiHandle, s string, q question) (bool, error) {
	var (
		answer C.bool
		errBuf C.GenaiBuffer
	)
	// The string's bytes hold no Go pointers, so cgo lets C read them in place.
	ptr := (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s)))
	if st := q(handle, ptr, C.size_t(len(s)), &answer, &errBuf); st != C.GENAI_STATUS_OK {
		return false, takeError(st, &errBuf)
	}
	return bool(answer), nil
}

// remember adds one answer to the cache, if it fits.
func (a *answers) remember(s string, answer bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.knownLen()
	if n+len(a.pending) >= maxCachedKeys || a.bytes+len(s) > maxCachedKeyBytes {
		return
	}
	if _, ok := a.pending[s]; ok {
		return // asked twice at once
	}
	if known := a.known.Load(); known != nil {
		if _, ok := (*known)[s]; ok {
			return // asked twice at once, and published since
		}
	}
	a.bytes += len(s)
	if a.pending == nil {
		a.pending = map[string]bool{}
	}
	// A copy of the string: the caller's may alias a batch's memory.
	a.pending[strings.Clone(s)] = answer
	if len(a.pending) >= n/4 {
		a.publish()
	}
}

// knownLen is how many answers the lock-free map holds.
func (a *answers) knownLen() int {
	if m := a.known.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// publish copies the pending answers into a new lock-free map; under mu.
func (a *answers) publish() {
	old := a.known.Load()
	next := make(map[string]bool, a.knownLen()+len(a.pending))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	for k, v := range a.pending {
		next[k] = v
	}
	a.known.Store(&next)
	clear(a.pending)
	a.pendingHits = 0
}

// size is how many answers are remembered.
func (a *answers) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending) + a.knownLen()
}

// keyBytes is the bytes of the strings remembered.
func (a *answers) keyBytes() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bytes
}

// Close destroys the handle. Closing again is a no-op. The handle value is
// kept, so later Process calls reach the core with a destroyed handle and
// get its StatusInvalidHandle error. Close does not wait for calls in
// flight: each holds the core's processor (rust/ffi.rs looks a handle up
// into a reference-counted processor per call), which is freed when the
// last of them ends.
func (p *Processor) Close() error {
	if p == nil {
		return nil
	}
	return destroy(&p.closed, p.handle, freeProcessor)
}

func freeProcessor(h C.GenaiHandle) C.enum_GenaiStatus { return C.genai_processor_free(h) }

// destroy frees handle with free once: the first call for closed.
func destroy(closed *atomic.Bool, handle C.GenaiHandle, free func(C.GenaiHandle) C.enum_GenaiStatus) error {
	if closed.Swap(true) {
		return nil
	}
	if st := free(handle); st != C.GENAI_STATUS_OK {
		return &Error{Status: Status(st), Message: fmt.Sprintf("freeing handle %d", uint64(handle))}
	}
	return nil
}

// Edit runs one OTLP request (protobuf bytes of the signal's
// Export*ServiceRequest) through the core. The input is passed without a
// copy. When the core changed the batch, use is called with a view of the
// Rust-owned output, valid only during the callback: edits to apply to
// the input (edits true; format in rust/edit_format.rs) or, when the core
// cannot express the change so, a whole batch. use must not keep the
// view; its error is returned as is.
//
// Edit waits for the core until ctx ends, then returns an *Abandoned error
// at once: the core's call cannot be interrupted, so it goes on to its end
// on a goroutine of its own, which then frees the core's output without
// calling use. Once Edit has returned, use is never called; the batch's
// bytes stay referenced by that goroutine until the core is done with them.
func (p *Processor) Edit(ctx context.Context, sig Signal, batch []byte, use func(out []byte, edits bool) error) (Outcome, error) {
	out, _, err := p.call(ctx, sig, true, batch, nil, use)
	return out, err
}

// EditTracesCounting is Edit for a trace batch that also reads each span,
// once the stages ran on it, for the connector conn
// (genai_edit_traces_counting): the model calls conn counts when it
// receives this processor's output. The reading is nil when conn would
// not read that output as the stages did (its normalization or pricing
// settings differ) or the core did not walk the batch on the wire; a
// non-nil reading must be freed (Counted.Free), recorded or not.
func (p *Processor) EditTracesCounting(ctx context.Context, batch []byte, conn *Connector, use func(out []byte, edits bool) error) (Outcome, *Counted, error) {
	if conn == nil {
		out, err := p.Edit(ctx, Traces, batch, use)
		return out, nil, err
	}
	return p.call(ctx, Traces, true, batch, conn, use)
}

// Abandoned is Edit's error when its ctx ended before the core answered.
type Abandoned struct {
	// Cause is context.Cause of Edit's ctx.
	Cause error
	// Finished is closed when the core's call has ended and its output
	// is freed: until then the call holds the core's working memory.
	Finished <-chan struct{}
}

func (e *Abandoned) Error() string {
	return fmt.Sprintf("genai core: stopped waiting for the core: %v", e.Cause)
}

func (e *Abandoned) Unwrap() error { return e.Cause }

// errAbandoned is what a callback claimed too late returns; nobody reads it.
var errAbandoned = errors.New("genai core: call abandoned")

// call runs the core on batch (for conn too, when not nil); with a ctx that
// can end, on a goroutine that the caller stops waiting for when ctx ends.
// The output goes to use only if use claims it first: claim ends 1 (used),
// 2 (abandoned) or 3 (the call ended unclaimed), never two of them; an
// abandoned call frees its reading itself.
func (p *Processor) call(ctx context.Context, sig Signal, edit bool, batch []byte, conn *Connector, use func(out []byte, edits bool) error) (Outcome, *Counted, error) {
	var handle C.GenaiHandle // 0, never valid: a nil processor is refused by the core
	if p != nil {
		handle = p.handle
	}
	if sig != Traces && sig != Metrics && sig != Logs {
		return Outcome{}, nil, fmt.Errorf("genai: no %s call for signal %d", map[bool]string{true: "edit", false: "process"}[edit], int(sig))
	}
	if ctx.Done() == nil {
		return run(handle, sig, edit, batch, conn, use)
	}
	type result struct {
		out     Outcome
		counted *Counted
		err     error
	}
	var claim atomic.Int32
	done := make(chan result, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		out, counted, err := run(handle, sig, edit, batch, conn, func(b []byte, edits bool) error {
			if !claim.CompareAndSwap(0, 1) {
				return errAbandoned
			}
			return use(b, edits)
		})
		if !claim.CompareAndSwap(0, 3) && claim.Load() == 2 {
			counted.Free()
			counted = nil
		}
		done <- result{out, counted, err}
	}()
	select {
	case r := <-done:
		return r.out, r.counted, r.err
	case <-ctx.Done():
	}
	if claim.CompareAndSwap(0, 2) {
		return Outcome{}, nil, &Abandoned{Cause: context.Cause(ctx), Finished: finished}
	}
	// use has the output, or the call has ended: Go's work on it, bounded
	// by its size.
	r := <-done
	return r.out, r.counted, r.err
}

// wholeBatch makes the core's whole-batch call for sig (test_abi.go);
// nil in the collector, whose library lacks those calls.
var wholeBatch func(handle C.GenaiHandle, sig Signal, ptr *C.uint8_t, n C.size_t, res *C.GenaiResult) C.enum_GenaiStatus

// run makes one call of the core and frees what it returns but the reading.
func run(handle C.GenaiHandle, sig Signal, edit bool, batch []byte, conn *Connector, use func(out []byte, edits bool) error) (Outcome, *Counted, error) {
	var res C.GenaiResult
	ptr, n := goBytes(batch)
	start := time.Now()
	var (
		st      C.enum_GenaiStatus
		counted C.GenaiHandle
	)
	switch {
	case conn != nil:
		st = C.genai_edit_traces_counting(handle, conn.connectorHandle(), ptr, n, &res, &counted)
	case sig == Traces && edit:
		st = C.genai_edit_traces(handle, ptr, n, &res)
	case sig == Metrics && edit:
		st = C.genai_edit_metrics(handle, ptr, n, &res)
	case sig == Logs && edit:
		st = C.genai_edit_logs(handle, ptr, n, &res)
	case wholeBatch != nil:
		st = wholeBatch(handle, sig, ptr, n, &res)
	default:
		return Outcome{}, nil, errors.New("genai: the whole-batch calls are built for tests only (tag genai_test_abi)")
	}
	out := Outcome{CallDuration: time.Since(start)}
	// Every path below leaves through here: the result owns up to three
	// Rust buffers whatever the status.
	defer C.genai_result_free(&res)
	var reading *Counted
	if counted != 0 {
		reading = &Counted{handle: counted}
	}
	if st != C.GENAI_STATUS_OK {
		reading.Free()
		return out, nil, &Error{Status: Status(st), Message: string(view(res.error))}
	}
	out.Changed = bool(res.changed)
	out.Edits = bool(res.edits)
	out.Stats = statsFrom(&res.stats)
	out.UnknownModels = unknownModels(string(view(res.unknown_models)))
	if out.Changed {
		if err := use(view(res.data), out.Edits); err != nil {
			// The batch goes on unchanged: its reading is not what the
			// connector will get.
			reading.Free()
			return out, nil, err
		}
	}
	return out, reading, nil
}
