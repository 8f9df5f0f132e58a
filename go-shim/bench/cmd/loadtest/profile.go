package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/pprof/profile"
)

// genaiPackage prefixes the names of the genai processor's functions,
// its cgo calls into the Rust core included.
const genaiPackage = "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

// processorShare takes a CPU profile of the collector from its pprof
// extension at addr over the next `seconds` and returns the fraction of the
// samples whose stack passes through the genai processor. Unlike a ratio of
// two throughput runs, it comes from one run, so the load other jobs put on
// the machine moves it little. Garbage collection the processor's
// allocations cause runs on the GC's own goroutines and is not counted.
func processorShare(addr string, seconds int) (float64, error) {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("pprof: %s", resp.Status)
	}
	p, err := profile.Parse(resp.Body)
	if err != nil {
		return 0, err
	}
	return shareThrough(p, genaiPackage)
}

// shareThrough is the fraction of p's CPU time in samples with a frame of
// a function named with prefix.
func shareThrough(p *profile.Profile, prefix string) (float64, error) {
	cpu := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		return 0, fmt.Errorf("pprof: no cpu samples")
	}
	var in, total int64
	for _, s := range p.Sample {
		v := s.Value[cpu]
		total += v
		if hasFrame(s, prefix) {
			in += v
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("pprof: empty profile")
	}
	return float64(in) / float64(total), nil
}

func hasFrame(s *profile.Sample, prefix string) bool {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil && strings.HasPrefix(l.Function.Name, prefix) {
				return true
			}
		}
	}
	return false
}
