package ffi

/*
#include <stdlib.h>
#include "otelcol_genai.h"
*/
import "C"

import (
	"sync/atomic"
	"time"
)

// SpanMetricsStats are the counters of one connector call
// (GenaiSpanMetricsStats, rust/stats.rs): counts for that call;
// SeriesActive and StateBytes are the state after it.
type SpanMetricsStats struct {
	// Spans decoded (a batch with no GenAI attribute key is not decoded).
	Spans uint64
	// Calls are the model calls counted into series.
	Calls uint64
	// SkippedNotCall: spans that are no model call (wrappers, agents,
	// tools, plain spans).
	SkippedNotCall uint64
	// SkippedSourceMetrics: model calls left to their source's own GenAI
	// metrics (derive).
	SkippedSourceMetrics uint64
	// Overflowed: calls counted into the overflow series.
	Overflowed    uint64
	SeriesCreated uint64
	SeriesExpired uint64
	// SeriesActive: series held, the overflow series not included.
	SeriesActive uint64
	// Points: histogram data points exported with the series' totals;
	// ZeroPoints: zero points at a series' start time exported besides.
	Points     uint64
	ZeroPoints uint64
	// StateBytes: bytes the series hold (keys and histograms).
	StateBytes uint64
	// Generation numbers a flush, for Confirm (0: not a flush).
	Generation uint64
}

func spanMetricsStatsFrom(s *C.GenaiSpanMetricsStats) SpanMetricsStats {
	return SpanMetricsStats{
		Spans:                uint64(s.spans),
		Calls:                uint64(s.calls),
		SkippedNotCall:       uint64(s.skipped_not_call),
		SkippedSourceMetrics: uint64(s.skipped_source_metrics),
		Overflowed:           uint64(s.overflowed),
		SeriesCreated:        uint64(s.series_created),
		SeriesExpired:        uint64(s.series_expired),
		SeriesActive:         uint64(s.series_active),
		Points:               uint64(s.points),
		ZeroPoints:           uint64(s.zero_points),
		StateBytes:           uint64(s.state_bytes),
		Generation:           uint64(s.generation),
	}
}

// ValidateConnectorConfig checks a JSON connector configuration exactly as
// the core would when creating a connector. The error message names the
// offending field.
func ValidateConnectorConfig(config []byte) error {
	return validate(config, validateConnector)
}

func validateConnector(ptr *C.uint8_t, n C.size_t, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_connector_config_validate(ptr, n, errBuf)
}

// Connector owns one core connector handle (rust/span_metrics/: GenAI
// spans in, GenAI metrics out). Its methods are safe for concurrent use; a
// nil *Connector behaves like a closed one (the core reports
// StatusInvalidHandle).
type Connector struct {
	handle C.GenaiHandle
	closed atomic.Bool
	// The answers of IsGenAIKey, which never change for a handle.
	genaiKeys answers
}

// NewConnector creates a core connector from a JSON configuration.
func NewConnector(config []byte) (*Connector, error) {
	handle, err := create(config, createConnector)
	if err != nil {
		return nil, err
	}
	return &Connector{handle: handle}, nil
}

func createConnector(ptr *C.uint8_t, n C.size_t, out *C.GenaiHandle, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_connector_new(ptr, n, out, errBuf)
}

// connectorHandle is c's handle, or 0 (never valid) for a nil connector.
func (c *Connector) connectorHandle() C.GenaiHandle {
	if c == nil {
		return 0
	}
	return c.handle
}

// IsGenAIKey tells whether an attribute key is a GenAI key to the
// connector: a trace batch none of whose resource, span or span event
// attribute keys is one counts no call, so the caller may skip marshaling
// it. Answers are cached as the processor's are (Processor.IsGenAIKey).
func (c *Connector) IsGenAIKey(key string) (bool, error) {
	if c == nil {
		return false, errNilConnector
	}
	return c.genaiKeys.ask(c.handle, key, askConnectorKey)
}

var errNilConnector = &Error{Status: StatusInvalidHandle, Message: "nil genai connector"}

func askConnectorKey(h C.GenaiHandle, s *C.uint8_t, n C.size_t, answer *C.bool, errBuf *C.GenaiBuffer) C.enum_GenaiStatus {
	return C.genai_connector_attribute_key_is_genai(h, s, n, answer, errBuf)
}

// Consume counts the model calls of one OTLP ExportTraceServiceRequest
// (protobuf bytes, passed without a copy) at time now. A malformed batch
// is a StatusDecode error and counts nothing.
func (c *Connector) Consume(batch []byte, now time.Time) (SpanMetricsStats, error) {
	var (
		stats  C.GenaiSpanMetricsStats
		errBuf C.GenaiBuffer
	)
	ptr, n := goBytes(batch)
	st := C.genai_connector_consume(c.connectorHandle(), ptr, n, unixNano(now), &stats, &errBuf)
	if st != C.GENAI_STATUS_OK {
		return SpanMetricsStats{}, takeError(st, &errBuf)
	}
	return spanMetricsStatsFrom(&stats), nil
}

// Counted is a processor's reading of one span batch for one connector
// (Processor.EditTracesCounting), until freed. A nil *Counted is none.
type Counted struct {
	handle   C.GenaiHandle
	freed    atomic.Bool
	recorded atomic.Bool
}

// Recorded says whether a connector recorded the reading.
func (r *Counted) Recorded() bool { return r != nil && r.recorded.Load() }

// Free releases the reading; freeing again, or a nil reading, is a no-op.
func (r *Counted) Free() {
	if r == nil || r.freed.Swap(true) {
		return
	}
	C.genai_counted_free(r.handle)
}

// Record counts, at time now, the model calls a processor read for this
// connector, as Consume counts a batch. A reading is recorded once; again,
// or into another connector, it is a StatusInvalidArgument error.
func (c *Connector) Record(r *Counted, now time.Time) (SpanMetricsStats, error) {
	var (
		stats  C.GenaiSpanMetricsStats
		errBuf C.GenaiBuffer
		handle C.GenaiHandle
	)
	if r != nil {
		handle = r.handle
	}
	st := C.genai_connector_record(c.connectorHandle(), handle, unixNano(now), &stats, &errBuf)
	if st != C.GENAI_STATUS_OK {
		return SpanMetricsStats{}, takeError(st, &errBuf)
	}
	r.recorded.Store(true)
	return spanMetricsStatsFrom(&stats), nil
}

// Flush has the core write the connector's metrics at time now, as an OTLP
// ExportMetricsServiceRequest, and calls decode with a view of them that
// is valid only during the callback (decode must not keep it); decode is
// not called when no series has a total. Its error is returned as is,
// with the stats: the core has counted the flush by then.
func (c *Connector) Flush(now time.Time, decode func(metrics []byte) error) (SpanMetricsStats, error) {
	var (
		stats   C.GenaiSpanMetricsStats
		metrics C.GenaiBuffer
		errBuf  C.GenaiBuffer
	)
	st := C.genai_connector_flush(c.connectorHandle(), unixNano(now), &metrics, &stats, &errBuf)
	// The metrics buffer is Rust's whatever the status (empty on failure).
	defer C.genai_buffer_free(&metrics)
	if st != C.GENAI_STATUS_OK {
		return SpanMetricsStats{}, takeError(st, &errBuf)
	}
	out := spanMetricsStatsFrom(&stats)
	if b := view(metrics); len(b) > 0 {
		return out, decode(b)
	}
	return out, nil
}

// Confirm tells the core that the flush numbered generation reached the
// pipeline: the zero start points it sent are not sent again (until then
// every flush sends them, so a refused export loses none).
func (c *Connector) Confirm(generation uint64) error {
	var errBuf C.GenaiBuffer
	if st := C.genai_connector_confirm(c.connectorHandle(), C.uint64_t(generation)); st != C.GENAI_STATUS_OK {
		return takeError(st, &errBuf)
	}
	return nil
}

// unixNano is t in Unix nanoseconds, 0 before 1970.
func unixNano(t time.Time) C.uint64_t {
	if ns := t.UnixNano(); ns > 0 {
		return C.uint64_t(ns)
	}
	return 0
}

// Close destroys the handle and the series it holds (flush first to keep
// them). Closing again is a no-op; later calls get StatusInvalidHandle
// from the core. Calls in flight finish first (the core holds the
// connector per call).
func (c *Connector) Close() error {
	if c == nil {
		return nil
	}
	return destroy(&c.closed, c.handle, freeConnector)
}

func freeConnector(h C.GenaiHandle) C.enum_GenaiStatus { return C.genai_connector_free(h) }
