package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// A profile of 10 ms in the processor (its own frame, and a cgo call under
// it), 30 ms elsewhere: a share of a quarter, read over HTTP as from the
// pprof extension.
func TestProcessorShareCountsSamplesThroughTheProcessor(t *testing.T) {
	fn := func(id uint64, name string) *profile.Function { return &profile.Function{ID: id, Name: name} }
	loc := func(id uint64, f *profile.Function) *profile.Location {
		return &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
	}
	recv := loc(1, fn(1, "go.opentelemetry.io/collector/receiver/otlpreceiver.(*Receiver).Export"))
	proc := loc(2, fn(2, genaiPackage+".(*genaiProcessor).processTraces"))
	cgo := loc(3, fn(3, genaiPackage+"/internal/ffi._Cfunc_genai_edit_traces"))
	gc := loc(4, fn(4, "runtime.gcBgMarkWorker"))
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{proc, recv}, Value: []int64{1, 4e6}},
			{Location: []*profile.Location{cgo, proc, recv}, Value: []int64{1, 6e6}},
			{Location: []*profile.Location{recv}, Value: []int64{1, 20e6}},
			{Location: []*profile.Location{gc}, Value: []int64{1, 10e6}},
		},
		Location: []*profile.Location{recv, proc, cgo, gc},
		Function: []*profile.Function{recv.Line[0].Function, proc.Line[0].Function, cgo.Line[0].Function, gc.Line[0].Function},
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" || r.URL.Query().Get("seconds") != "3" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(buf.Bytes())
	}))
	defer srv.Close()

	share, err := processorShare(strings.TrimPrefix(srv.URL, "http://"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if share != 0.25 {
		t.Fatalf("share = %v, want 0.25", share)
	}
}
