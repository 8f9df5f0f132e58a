//go:build genai_test_abi

package ffi

// The core with the entry points only tests call (cargo feature
// `test-abi`, `make lib-test-abi`): the whole-batch calls, the oracle the
// tests hold the edits Go applies against.

/*
#cgo CFLAGS: -DGENAI_TEST_ABI
#cgo LDFLAGS: ${SRCDIR}/../../../target/test-abi/libotelcol_genai.a -ldl -lm -lpthread
#include "otelcol_genai.h"
*/
import "C"

import "context"

// linkedLibrary is testdata's link to the library this build links
// (cache_test.go).
const linkedLibrary = "testdata/libotelcol_genai_test_abi.a"

func init() {
	wholeBatch = func(handle C.GenaiHandle, sig Signal, ptr *C.uint8_t, n C.size_t, res *C.GenaiResult) C.enum_GenaiStatus {
		switch sig {
		case Traces:
			return C.genai_process_traces(handle, ptr, n, res)
		case Metrics:
			return C.genai_process_metrics(handle, ptr, n, res)
		default:
			return C.genai_process_logs(handle, ptr, n, res)
		}
	}
}

// Process runs one OTLP request through the core as Edit does, except
// that a changed batch always comes back whole: the edits applied to the
// input by the core. When the core changed the batch, decode is called
// with a view of the Rust-owned output that is valid only during the
// callback; decode must not keep it. Its error is returned as is.
func (p *Processor) Process(sig Signal, batch []byte, decode func(out []byte) error) (Outcome, error) {
	out, _, err := p.call(context.Background(), sig, false, batch, nil, func(out []byte, _ bool) error { return decode(out) })
	return out, err
}
