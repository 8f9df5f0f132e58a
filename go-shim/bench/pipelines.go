package bench

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/processor/processortest"
)

// Stage is one processor of a chain: a factory and its configuration as the
// collector YAML would give it.
type Stage struct {
	Factory processor.Factory
	Config  map[string]any
}

// Chain is a sequence of processors for one signal, started, feeding next.
type Chain struct {
	Signal  Signal
	traces  consumer.Traces
	metrics consumer.Metrics
	logs    consumer.Logs
	started []component.Component
}

// NewChain creates and starts the stages in order; next (a consumer.Traces,
// consumer.Metrics or consumer.Logs matching sig) receives the output.
func NewChain(ctx context.Context, sig Signal, stages []Stage, next any) (*Chain, error) {
	c := &Chain{Signal: sig}
	switch sig {
	case Traces:
		c.traces = next.(consumer.Traces)
	case Metrics:
		c.metrics = next.(consumer.Metrics)
	case Logs:
		c.logs = next.(consumer.Logs)
	}
	// Built from the last stage back, since each needs its successor.
	for i := len(stages) - 1; i >= 0; i-- {
		st := stages[i]
		cfg := st.Factory.CreateDefaultConfig()
		if st.Config != nil {
			if err := confmap.NewFromStringMap(st.Config).Unmarshal(cfg); err != nil {
				return nil, fmt.Errorf("%s config: %w", st.Factory.Type(), err)
			}
		}
		if v, ok := cfg.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("%s config: %w", st.Factory.Type(), err)
			}
		}
		set := processortest.NewNopSettings(st.Factory.Type())
		var (
			comp component.Component
			err  error
		)
		switch sig {
		case Traces:
			var p processor.Traces
			p, err = st.Factory.CreateTraces(ctx, set, cfg, c.traces)
			c.traces, comp = p, p
		case Metrics:
			var p processor.Metrics
			p, err = st.Factory.CreateMetrics(ctx, set, cfg, c.metrics)
			c.metrics, comp = p, p
		case Logs:
			var p processor.Logs
			p, err = st.Factory.CreateLogs(ctx, set, cfg, c.logs)
			c.logs, comp = p, p
		}
		if err != nil {
			return nil, fmt.Errorf("creating %s: %w", st.Factory.Type(), err)
		}
		if err := comp.Start(ctx, componenttest.NewNopHost()); err != nil {
			return nil, fmt.Errorf("starting %s: %w", st.Factory.Type(), err)
		}
		c.started = append(c.started, comp)
	}
	return c, nil
}

// Decode turns OTLP protobuf bytes into the chain's pdata.
func (c *Chain) Decode(b []byte) (any, error) {
	switch c.Signal {
	case Traces:
		return (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
	case Metrics:
		return (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
	default:
		return (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	}
}

// Consume sends one batch (from Decode) through the chain.
func (c *Chain) Consume(ctx context.Context, data any) error {
	switch c.Signal {
	case Traces:
		return c.traces.ConsumeTraces(ctx, data.(ptrace.Traces))
	case Metrics:
		return c.metrics.ConsumeMetrics(ctx, data.(pmetric.Metrics))
	default:
		return c.logs.ConsumeLogs(ctx, data.(plog.Logs))
	}
}

// Shutdown stops every stage.
func (c *Chain) Shutdown(ctx context.Context) {
	for _, comp := range c.started {
		_ = comp.Shutdown(ctx)
	}
}

type emptyConfig struct{}

// passThroughFactory makes processors that apply fn (nil: return the batch
// as it is) through processorhelper, as every real processor does, so the
// floors pay the same per-batch framework cost as genai.
func passThroughFactory(name string, fn func(any) (any, error)) processor.Factory {
	typ := component.MustNewType(name)
	caps := processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false})
	apply := func(d any) (any, error) {
		if fn == nil {
			return d, nil
		}
		return fn(d)
	}
	return processor.NewFactory(typ, func() component.Config { return &emptyConfig{} },
		processor.WithTraces(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
			return processorhelper.NewTraces(ctx, set, cfg, next, func(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
				out, err := apply(td)
				if err != nil {
					return td, err
				}
				return out.(ptrace.Traces), nil
			}, caps)
		}, component.StabilityLevelDevelopment),
		processor.WithMetrics(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
			return processorhelper.NewMetrics(ctx, set, cfg, next, func(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
				out, err := apply(md)
				if err != nil {
					return md, err
				}
				return out.(pmetric.Metrics), nil
			}, caps)
		}, component.StabilityLevelDevelopment),
		processor.WithLogs(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
			return processorhelper.NewLogs(ctx, set, cfg, next, func(_ context.Context, ld plog.Logs) (plog.Logs, error) {
				out, err := apply(ld)
				if err != nil {
					return ld, err
				}
				return out.(plog.Logs), nil
			}, caps)
		}, component.StabilityLevelDevelopment),
	)
}

// NoopFactory is the floor: a processor that returns its input.
func NoopFactory() processor.Factory { return passThroughFactory("bench_noop", nil) }

// RoundTripFactory is the boundary floor: pdata marshaled to OTLP protobuf
// and unmarshaled again, which genai does around every call into Rust.
func RoundTripFactory() processor.Factory {
	return passThroughFactory("bench_roundtrip", roundTrip)
}

func roundTrip(d any) (any, error) {
	switch v := d.(type) {
	case ptrace.Traces:
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(v)
		if err != nil {
			return nil, err
		}
		return (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
	case pmetric.Metrics:
		b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(v)
		if err != nil {
			return nil, err
		}
		return (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
	case plog.Logs:
		b, err := (&plog.ProtoMarshaler{}).MarshalLogs(v)
		if err != nil {
			return nil, err
		}
		return (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	}
	return nil, fmt.Errorf("unexpected pdata %T", d)
}

// NormalizeOnly is the genai configuration with cost and naming off.
var NormalizeOnly = map[string]any{
	"cost":   map[string]any{"enabled": false},
	"naming": map[string]any{"enabled": false},
}
