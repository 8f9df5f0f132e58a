package ffi

import (
	"os"
	"testing"
)

// Go does not hash files named in #cgo LDFLAGS, so its test cache would
// replay old results against a rebuilt libotelcol_genai.a. Files a test
// stats become part of the cache key, but only inside the module, hence
// testdata's symlinks to the libraries (linkedLibrary: the one this build
// links), whose size and mtime then decide whether cached results still hold.
func TestRebuiltLibraryInvalidatesTestCache(t *testing.T) {
	if _, err := os.Stat(linkedLibrary); err != nil {
		t.Fatalf("the Rust core this test binary linked is gone: %v", err)
	}
}
