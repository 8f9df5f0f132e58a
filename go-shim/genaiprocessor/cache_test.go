package genaiprocessor

import (
	"os"
	"testing"
)

// See ../internal/ffi/cache_test.go: stat'ing the library through its symlink
// inside the module makes `go test` rerun when the Rust core is rebuilt.
func TestRebuiltLibraryInvalidatesTestCache(t *testing.T) {
	if _, err := os.Stat("../internal/ffi/testdata/libotelcol_genai.a"); err != nil {
		t.Fatalf("the Rust core this test binary linked is gone: %v", err)
	}
}
