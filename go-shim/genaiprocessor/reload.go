package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// Pricing files reloaded while the collector runs (pricing_reload).
//
// The core's processor is immutable and built from the whole
// configuration, its pricing files read when it is built. A reload builds
// a new processor from the same configuration, on the watcher's goroutine
// (off the batches' path), exactly as start does, so it is validated as at
// start and inline cost.models keep their precedence; then swaps it in
// (p.core, an atomic pointer: a batch runs on one processor or the other,
// never on half a table) and closes the old one. Calls running on the old
// one finish on it; the core frees it when the last ends, its memory
// returned at once (rust/ffi.rs, release). A batch that loaded the old
// processor just before it was closed runs again on the new one
// (genaiProcessor.callCore).
//
// A file is checked every interval by its size and modification time;
// when either changed, its bytes are hashed (SHA-256), and only a changed
// hash (or a file that appeared, disappeared or became unreadable) makes a
// reload. A reload that fails keeps the processor in use, logs the core's
// message once per distinct message and is counted; the files are tried
// again when they change again.

// minReloadInterval bounds pricing_reload.interval from below: each check
// stats every pricing file.
const minReloadInterval = 100 * time.Millisecond

// maxPricingFileBytes is the core's bound on a pricing file
// (rust/pricing/mod.rs, MAX_PRICING_FILE_BYTES): more is never hashed.
const maxPricingFileBytes = 16 << 20

// fileState is what a check knows of one pricing file.
type fileState struct {
	// problem is why the file could not be read ("" when it was).
	problem string
	size    int64
	modTime time.Time
	// sum is the SHA-256 of the file's bytes, or of its first
	// maxPricingFileBytes+1 when it is larger (the core refuses it).
	sum [sha256.Size]byte
}

// sameContent says whether two states name the same bytes.
func (s fileState) sameContent(o fileState) bool {
	return s.problem == o.problem && s.sum == o.sum
}

// pricingWatch watches the pricing files of one configuration.
type pricingWatch struct {
	paths []string
	// states are the files as the processor in use read them (or as the
	// last failed reload did).
	states []fileState
	// failure is the last failed reload's message, logged once.
	failure string
}

// pricingPaths lists cost.pricing_files[*].path from the core's section
// as the collector decoded it; nothing when cost computation is off.
// The core validates the section, so anything else is left to it.
func pricingPaths(cost map[string]any) []string {
	if enabled, ok := cost["enabled"].(bool); ok && !enabled {
		return nil
	}
	var files []any
	switch v := cost["pricing_files"].(type) {
	case []any:
		files = v
	case []map[string]any:
		for _, f := range v {
			files = append(files, f)
		}
	}
	var paths []string
	for _, f := range files {
		if m, ok := f.(map[string]any); ok {
			if path, ok := m["path"].(string); ok {
				paths = append(paths, path)
			}
		}
	}
	return paths
}

// read returns the state of path now; prev is its last known state,
// whose hash is kept without reading when size and modification time are
// the same and that time is older than settledAfter: a file rewritten
// with the same size within one tick of the file system's clock keeps
// its modification time, so a recent time proves nothing.
// settledAfter is how old a modification time must be for an unchanged
// one to prove unchanged bytes: well past any file system's timestamp
// granularity (coarse clocks tick every few milliseconds; some file
// systems keep whole seconds).
const settledAfter = 3 * time.Second

func readFileState(path string, prev *fileState) fileState {
	info, err := os.Stat(path)
	if err != nil {
		return fileState{problem: err.Error()}
	}
	if !info.Mode().IsRegular() {
		return fileState{problem: "not a regular file: " + info.Mode().String()}
	}
	st := fileState{size: info.Size(), modTime: info.ModTime()}
	settled := time.Since(st.modTime) > settledAfter
	if settled && prev != nil && prev.problem == "" && prev.size == st.size && prev.modTime.Equal(st.modTime) {
		st.sum = prev.sum
		return st
	}
	f, err := os.Open(path)
	if err != nil {
		return fileState{problem: err.Error()}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxPricingFileBytes+1)); err != nil {
		return fileState{problem: err.Error()}
	}
	h.Sum(st.sum[:0])
	return st
}

// snapshot reads every file's state now.
func (w *pricingWatch) snapshot() []fileState {
	states := make([]fileState, len(w.paths))
	for i, path := range w.paths {
		var prev *fileState
		if i < len(w.states) {
			prev = &w.states[i]
		}
		states[i] = readFileState(path, prev)
	}
	return states
}

// changed says whether any file's content differs from states.
func (w *pricingWatch) changed(next []fileState) bool {
	for i := range next {
		if i >= len(w.states) || !next[i].sameContent(w.states[i]) {
			return true
		}
	}
	return false
}

// startReloads starts the watcher when pricing_reload is on and there are
// pricing files; states are the files as the processor in use read them.
func (p *genaiProcessor) startReloads(states []fileState) {
	if p.reloadDone != nil || p.cfg.PricingReload.Interval <= 0 || len(p.watch.paths) == 0 {
		return
	}
	p.watch.states = states
	done := make(chan struct{})
	p.reloadDone = done
	interval := p.cfg.PricingReload.Interval
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-p.stopping.Done():
				return
			case <-tick.C:
				p.checkPricingFiles()
			}
		}
	}()
}

// stopReloads waits for the watcher to end (after p.stop), so that no
// reload swaps a processor in once shutdown has closed the one in use.
func (p *genaiProcessor) stopReloads() {
	if p.reloadDone != nil {
		<-p.reloadDone
	}
}

// checkPricingFiles reloads the core when a pricing file's content changed.
func (p *genaiProcessor) checkPricingFiles() {
	next := p.watch.snapshot()
	if !p.watch.changed(next) {
		p.watch.states = next // new modification times, same bytes
		return
	}
	p.watch.states = next
	began := time.Now()
	err := p.reload()
	took := time.Since(began)
	ctx := context.Background()
	// Each outcome is counted after it is logged: whoever watches the count
	// (an operator, a test) then finds the log line too.
	if err != nil {
		msg := ffi.ConfigMessage(err).Error()
		if msg != p.watch.failure {
			p.watch.failure = msg
			p.logger.Warn("genai: the pricing files changed but could not be loaded; the prices loaded before stay in use until they change again",
				zap.Error(errors.New(msg)))
		}
		p.tel.reload(ctx, false)
		return
	}
	p.watch.failure = ""
	p.logger.Info("genai: pricing files reloaded", zap.Strings("pricing_files", p.watch.paths), zap.Duration("took", took))
	p.tel.reload(ctx, true)
}

// reload builds a processor from the configuration and puts it in place
// of the one in use, which is closed.
func (p *genaiProcessor) reload() error {
	doc, err := p.cfg.coreJSON()
	if err != nil {
		return err
	}
	core, err := ffi.New(doc)
	if err != nil {
		return err
	}
	if p.stopping.Err() != nil {
		// Shut down meanwhile: the processor in use is already closed.
		return core.Close()
	}
	if old := p.core.Swap(core); old != nil {
		_ = old.Close()
	}
	return nil
}

// maxCoreSwaps bounds how often one batch runs again after finding its
// processor closed by a reload.
const maxCoreSwaps = 3

// callCore runs call on the processor in use. A call that found it
// closed (invalid handle) while another processor has been put in place
// since, by a reload, runs again on that one: the closed processor
// answered nothing and called no callback.
func (p *genaiProcessor) callCore(ctx context.Context, in []byte, call func(context.Context, *ffi.Processor, []byte) (ffi.Outcome, error)) (ffi.Outcome, error) {
	for swaps := 0; ; swaps++ {
		core := p.core.Load()
		outcome, err := call(ctx, core, in)
		if swaps < maxCoreSwaps && ffi.StatusOf(err) == ffi.StatusInvalidHandle && p.core.Load() != core {
			continue
		}
		return outcome, err
	}
}
