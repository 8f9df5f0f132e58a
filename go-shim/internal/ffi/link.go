//go:build !genai_test_abi

package ffi

// The core as the collector links it: the library `make lib` builds,
// without the entry points only tests call (test_abi.go).

/*
#cgo LDFLAGS: ${SRCDIR}/../../../target/release/libotelcol_genai.a -ldl -lm -lpthread
*/
import "C"

// linkedLibrary is testdata's link to the library this build links
// (cache_test.go).
const linkedLibrary = "testdata/libotelcol_genai.a"
