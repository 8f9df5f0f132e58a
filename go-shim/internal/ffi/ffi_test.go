package ffi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/testdata"
)

func metricsBytes(t *testing.T) []byte {
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(testdata.GenerateMetrics(3))
	require.NoError(t, err)
	return b
}

func TestStatusNamesComeFromTheCore(t *testing.T) {
	assert.Equal(t, "ok", StatusOK.String())
	assert.Equal(t, "invalid_handle", StatusInvalidHandle.String())
	assert.Equal(t, "decode_error", StatusDecode.String())
	assert.NotEmpty(t, Version())
}

func TestValidateConfig(t *testing.T) {
	require.NoError(t, ValidateConfig([]byte(`{}`)))
	// An empty document is not JSON; the Go side always sends an object.
	assert.Equal(t, StatusInvalidConfig, StatusOf(ValidateConfig(nil)))

	err := ValidateConfig([]byte(`{"normalize": {"overwrite": "yes"}}`))
	require.Error(t, err)
	assert.Equal(t, StatusInvalidConfig, StatusOf(err))
	assert.Contains(t, err.Error(), "normalize.overwrite")
}

func TestNewRefusesBadConfig(t *testing.T) {
	p, err := New([]byte(`{"no_such_section": {}}`))
	require.Error(t, err)
	assert.Nil(t, p)
	assert.Equal(t, StatusInvalidConfig, StatusOf(err))
	assert.Contains(t, err.Error(), "no_such_section")
}

func TestGarbageBytesAreADecodeError(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	// A GenAI batch cut short: it contains the core's prefilter needles (so
	// it is decoded, not skipped) but its last field runs past the end.
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("gen_ai.client.token.usage")
	m.SetEmptyHistogram().DataPoints().AppendEmpty().Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	whole, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	garbage := whole[:len(whole)-3]
	called := false
	_, err = p.Edit(context.Background(), Metrics, garbage, func([]byte, bool) error { called = true; return nil })
	require.Error(t, err)
	assert.Equal(t, StatusDecode, StatusOf(err))
	assert.False(t, called, "decode must not run when the core failed")
}

func TestEmptyBatchIsUnchanged(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	for _, sig := range []Signal{Traces, Metrics, Logs} {
		out, err := p.Edit(context.Background(), sig, nil, func([]byte, bool) error { t.Fatal("empty batch decoded"); return nil })
		require.NoError(t, err, sig)
		assert.False(t, out.Changed, sig)
	}
}

func TestClosedAndNilProcessorsAreRefusedByTheCore(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	in := metricsBytes(t)
	_, err = p.Edit(context.Background(), Metrics, in, func([]byte, bool) error { return nil })
	require.NoError(t, err)

	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "closing twice is a no-op")
	_, err = p.Edit(context.Background(), Metrics, in, func([]byte, bool) error { return nil })
	assert.Equal(t, StatusInvalidHandle, StatusOf(err), "destroyed handle: %v", err)

	var none *Processor
	require.NoError(t, none.Close())
	_, err = none.Edit(context.Background(), Metrics, in, func([]byte, bool) error { return nil })
	assert.Equal(t, StatusInvalidHandle, StatusOf(err), "no handle: %v", err)
}

func TestUnknownSignal(t *testing.T) {
	_, err := (*Processor)(nil).Edit(context.Background(), Signal(42), nil, nil)
	require.Error(t, err)
	assert.Equal(t, StatusOK, StatusOf(err), "refused in Go, before the core")
}

func TestIsGenAIKeyAnswersAndRemembers(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	for key, want := range map[string]bool{
		"gen_ai.request.model": true, "llm.usage.total_tokens": true,
		"http.request.method": false, "deployment.environment.name": false, "": false,
	} {
		for range 2 { // the second answer comes from the cache
			got, err := p.IsGenAIKey(key)
			require.NoError(t, err)
			assert.Equal(t, want, got, key)
		}
	}
	assert.Equal(t, 5, p.genaiKeys.size())
	for i := range maxCachedKeys + 10 {
		_, err := p.IsGenAIKey(fmt.Sprintf("app.field_%d", i))
		require.NoError(t, err)
	}
	assert.Equal(t, maxCachedKeys, p.genaiKeys.size(), "the cache stops growing")
	got, err := p.IsGenAIKey("gen_ai.provider.name")
	require.NoError(t, err)
	assert.True(t, got, "keys beyond the bound are still answered")
	require.NoError(t, p.Close())
	_, err = p.IsGenAIKey("never.asked")
	assert.Equal(t, StatusInvalidHandle, StatusOf(err), "a closed handle is refused by the core")
	var nilProc *Processor
	_, err = nilProc.IsGenAIKey("gen_ai.system")
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))
}

func TestAFewKeysAreAnsweredWithoutTheLock(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	keys := []string{"http.request.method", "url.path", "server.address", "gen_ai.provider.name"}
	for _, k := range keys {
		_, err := p.IsGenAIKey(k)
		require.NoError(t, err)
	}
	known := p.genaiKeys.known.Load()
	require.NotNil(t, known, "answers reach the lock-free map")
	assert.Len(t, *known, len(keys), "every answer is in the lock-free map")
}

func TestAnswersLookedUpAgainReachTheLockFreeMap(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	var keys []string
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("app.key_%d", i))
	}
	ask := func() {
		for _, k := range keys {
			_, err := p.IsGenAIKey(k)
			require.NoError(t, err)
		}
	}
	ask()
	require.Less(t, p.genaiKeys.knownLen(), len(keys), "the last answers wait in pending")
	// Each round finds the waiting answers in pending; once those lookups
	// number the map's size, the answers are copied into it.
	for range 5 {
		ask()
	}
	assert.Equal(t, len(keys), p.genaiKeys.knownLen(), "every answer is in the lock-free map")
	assert.Equal(t, len(keys), p.genaiKeys.size())
}

func TestIsGenAIMetricNameAnswersAndRemembers(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	for name, want := range map[string]bool{
		"gen_ai.client.token.usage": true, "gen_ai_usage_cost_USD": true,
		"http.server.request.duration": false,
	} {
		for range 2 { // the second answer comes from the cache
			got, err := p.IsGenAIMetricName(name)
			require.NoError(t, err)
			assert.Equal(t, want, got, name)
		}
	}
	assert.Equal(t, 3, p.genaiNames.size())
	assert.Zero(t, p.genaiKeys.size(), "names and keys are remembered apart")
	all, err := New([]byte(`{"naming":{"metrics":"all"}}`))
	require.NoError(t, err)
	got, err := all.IsGenAIMetricName("http.server.request.duration")
	require.NoError(t, err)
	assert.True(t, got, "naming every metric makes every name a GenAI one")
	require.NoError(t, all.Close())
	var nilProc *Processor
	_, err = nilProc.IsGenAIMetricName("gen_ai.usage.cost")
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))
}

// A client may send attribute keys of any length and number: the cache
// keeps none longer than maxCachedKeyLen and no more than maxCachedKeyBytes
// of them, while every key is still answered.
func TestCachedKeyBytesStayWithinTheBudget(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	huge := strings.Repeat("k", 3.5*(1<<20))
	for i := range 100 {
		key := fmt.Sprintf("app.%d.%s", i, huge)
		for range 2 {
			got, err := p.IsGenAIKey(key)
			require.NoError(t, err)
			assert.False(t, got)
		}
	}
	assert.LessOrEqual(t, p.genaiKeys.keyBytes(), maxCachedKeyBytes, "100 keys of 3.5 MiB")
	assert.Zero(t, p.genaiKeys.size(), "keys over maxCachedKeyLen are not remembered")
	got, err := p.IsGenAIKey("gen_ai." + huge)
	require.NoError(t, err)
	assert.True(t, got, "a long GenAI key is still one")

	// Keys under the length bound fill the byte budget before the count.
	long := strings.Repeat("v", maxCachedKeyLen-16)
	for i := range maxCachedKeys {
		_, err := p.IsGenAIKey(fmt.Sprintf("app.%08d.%s", i, long))
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, p.genaiKeys.keyBytes(), maxCachedKeyBytes, "8,192 keys of 256 bytes")
	assert.Less(t, p.genaiKeys.size(), maxCachedKeys)
	var sum int
	for k := range *p.genaiKeys.known.Load() {
		sum += len(k)
	}
	for k := range p.genaiKeys.pending {
		sum += len(k)
	}
	assert.Equal(t, sum, p.genaiKeys.keyBytes(), "the count is of the strings held")
	got, err = p.IsGenAIKey("gen_ai.provider.name")
	require.NoError(t, err)
	assert.True(t, got, "keys beyond the budget are still answered")
}

// slowBatch is about 90 MB of GenAI spans, on which the core works for
// hundreds of milliseconds.
func slowBatch(t *testing.T) []byte {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for range 1000 {
		a := spans.AppendEmpty().Attributes()
		a.PutStr("gen_ai.system", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		a.PutInt("gen_ai.usage.prompt_tokens", 100)
		a.PutInt("gen_ai.usage.completion_tokens", 50)
	}
	one, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	// Requests end to end are one request with the resources of all.
	return bytes.Repeat(one, 500)
}

// An Edit whose context ends returns at once, while the core works on; the
// core's output is then freed without reaching the callback, and Finished
// says when. Close does not wait for calls in flight either, and a call in
// flight on a closed handle ends as it would have.
func TestEditStopsWaitingWhenItsContextEnds(t *testing.T) {
	batch := slowBatch(t)
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	start := time.Now()
	out, err := p.Edit(context.Background(), Traces, batch, func([]byte, bool) error { return nil })
	require.NoError(t, err)
	require.True(t, out.Changed)
	full := time.Since(start)
	require.Greater(t, full, 100*time.Millisecond, "a call long enough to tell")

	enough := errors.New("enough")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 10*time.Millisecond, enough)
	defer cancel()
	var used atomic.Bool
	start = time.Now()
	_, err = p.Edit(ctx, Traces, batch, func([]byte, bool) error { used.Store(true); return nil })
	returned := time.Since(start)
	var abandoned *Abandoned
	require.ErrorAs(t, err, &abandoned)
	require.ErrorIs(t, err, enough)
	closing := time.Now()
	require.NoError(t, p.Close())
	closed := time.Since(closing)
	<-abandoned.Finished
	finished := time.Since(start)
	t.Logf("the core's call %v; Edit returned after %v, Close took %v, the call ended after %v", full, returned, closed, finished)
	assert.Less(t, returned, 10*time.Millisecond+full/4, "Edit waited for the core")
	assert.Less(t, closed, full/4, "Close waited for the core")
	assert.Greater(t, finished, 2*returned, "the core worked on")
	assert.False(t, used.Load(), "the output of a call given up on reached the callback")

	p, err = New([]byte(`{}`))
	require.NoError(t, err)
	inFlight := make(chan error, 1)
	go func() {
		out, err := p.Edit(context.Background(), Traces, batch, func([]byte, bool) error { used.Store(true); return nil })
		if err == nil && !out.Changed {
			err = errors.New("unchanged")
		}
		inFlight <- err
	}()
	time.Sleep(full / 4)
	closing = time.Now()
	require.NoError(t, p.Close())
	assert.Less(t, time.Since(closing), full/4, "Close waited for the core")
	require.NoError(t, <-inFlight, "a call in flight on a closed handle")
	assert.True(t, used.Load())
}
