package ffi

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestUnknownModelsAreReadPerModelAndProvider(t *testing.T) {
	assert.Nil(t, unknownModels(""))
	assert.Equal(t, []UnknownModel{
		{Model: "acme-9", Provider: "acme", Calls: 3},
		{Model: "x y", Provider: "", Calls: 1},
		{Calls: 7},
	}, unknownModels("acme-9\tacme\t3\nx y\t\t1\nnot a line\n\t\t7\n"))
}

func TestTheCoreCountsUnknownModelCalls(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, call := range [][2]string{{"no-such-model", "acme"}, {"no-such-model", "acme"}, {"no-such-model", ""}, {"gpt-4o", "openai"}} {
		a := spans.AppendEmpty().Attributes()
		a.PutStr("gen_ai.request.model", call[0])
		if call[1] != "" {
			a.PutStr("gen_ai.provider.name", call[1])
		}
		a.PutInt("gen_ai.usage.input_tokens", 10)
	}
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	out, err := p.Edit(context.Background(), Traces, b, func([]byte, bool) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, uint64(3), out.Stats.CostUnknownModel)
	assert.Equal(t, []UnknownModel{
		{Model: "no-such-model", Provider: "acme", Calls: 2},
		{Model: "no-such-model", Provider: "", Calls: 1},
	}, out.UnknownModels)
}
