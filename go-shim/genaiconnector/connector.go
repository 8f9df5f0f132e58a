package genaiconnector // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector"

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/genaikeys"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ratelog"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/sharedread"
)

// genaiConnector counts the model calls of the spans it receives into the
// Rust core's series (rust/span_metrics/) and flushes them to the metrics
// pipeline every flush_interval. It never holds spans back: an error is
// counted and logged, and ConsumeTraces still returns nil, since the spans
// already went to the traces pipeline's other consumers.
type genaiConnector struct {
	cfg        *Config
	instanceID string
	logger     *zap.Logger
	tel        *telemetry
	errLog     *ratelog.Log
	next       consumer.Metrics

	core atomic.Pointer[ffi.Connector] // nil until Start succeeds
	// unshare ends the genai processor's readings for this connector
	// (internal/sharedread); nil until Start succeeds.
	unshare func()

	// marshal encodes a batch for the core (a field, so that tests can
	// count the batches encoded).
	marshal   func(ptrace.Traces) ([]byte, error)
	unmarshal pmetric.ProtoUnmarshaler

	// The flush loop: stop ends it, done is closed when it has ended.
	mu       sync.Mutex // start and shutdown
	stop     chan struct{}
	done     chan struct{}
	shutDown bool
}

func newGenaiConnector(set connector.Settings, cfg *Config, next consumer.Metrics) (*genaiConnector, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	var m ptrace.ProtoMarshaler
	return &genaiConnector{
		cfg:        cfg,
		instanceID: instanceID(cfg, set.TelemetrySettings),
		logger:     set.Logger,
		tel:        &telemetry{tb: tb},
		errLog:     ratelog.New(set.Logger, ratelog.Interval),
		next:       next,
		marshal:    m.MarshalTraces,
	}, nil
}

// instanceID is instance_id, else the collector's own service.instance.id
// (its telemetry resource), else hostname-pid.
func instanceID(cfg *Config, tel component.TelemetrySettings) string {
	if cfg.InstanceID != "" {
		return cfg.InstanceID
	}
	if v, ok := tel.Resource.Attributes().Get("service.instance.id"); ok && v.AsString() != "" {
		return v.AsString()
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Capabilities: the connector only reads the spans.
func (c *genaiConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Start creates the core's connector and the flush loop.
func (c *genaiConnector) Start(context.Context, component.Host) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shutDown || c.stop != nil {
		return nil
	}
	doc, err := c.cfg.coreJSON(c.instanceID)
	if err != nil {
		return err
	}
	core, err := ffi.NewConnector(doc)
	if err != nil {
		return fmt.Errorf("creating the genai connector core: %w", err)
	}
	c.core.Store(core)
	c.unshare = sharedread.Register(core)
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.flushLoop(c.cfg.FlushInterval, c.stop, c.done)
	c.logger.Debug("genai connector ready", zap.String("core_version", ffi.Version()),
		zap.String("core_library", ffi.LibraryDigest()), zap.String("instance_id", c.instanceID))
	return nil
}

func (c *genaiConnector) flushLoop(every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			c.flush(context.Background())
		}
	}
}

// Shutdown stops the flush loop, flushes once more and frees the core's
// connector. Shutting down twice, or without a start, is harmless; spans
// that arrive later are counted as errors (invalid_handle).
func (c *genaiConnector) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shutDown {
		return nil
	}
	c.shutDown = true
	defer c.tel.tb.Shutdown()
	if c.stop == nil {
		return nil
	}
	close(c.stop)
	<-c.done
	c.unshare()
	c.flush(ctx)
	return c.core.Load().Close()
}

// ConsumeTraces counts the model calls of td: from the genai processor's
// reading of td when the batch carries one for this connector
// (internal/sharedread), else from td itself. A batch without a GenAI
// attribute key holds none and is not marshaled.
func (c *genaiConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	spans := td.SpanCount()
	c.tel.spans(ctx, spans)
	core := c.core.Load()
	if counted := sharedread.Take(ctx, td, core); counted != nil {
		stats, err := core.Record(counted, time.Now())
		if err == nil {
			c.tel.counted(ctx, spans, stats)
			return nil
		}
		// Recorded already (the batch reached this connector twice): read
		// it as any other batch.
		c.errLog.Warn("genai connector: the processor's reading of a batch was not taken; reading the batch itself", zap.Error(err))
	}
	check := genaikeys.New(core)
	if !check.Traces(td) {
		c.tel.counted(ctx, spans, ffi.SpanMetricsStats{})
		return nil
	}
	b, err := c.marshal(td)
	if err != nil {
		c.fail(ctx, "consume", "marshal", err)
		return nil
	}
	stats, err := core.Consume(b, time.Now())
	if err != nil {
		c.fail(ctx, "consume", ffi.StatusOf(err).String(), err)
		return nil
	}
	c.tel.counted(ctx, spans, stats)
	return nil
}

// flush sends the series' totals to the metrics pipeline and, once the
// pipeline took them, confirms the flush to the core. With cumulative
// temporality a failed flush loses nothing: the next one sends the same
// totals, grown, and the zero start points again.
func (c *genaiConnector) flush(ctx context.Context) {
	start := time.Now()
	var (
		md  pmetric.Metrics
		got bool
	)
	stats, err := c.core.Load().Flush(start, func(b []byte) error {
		var err error
		md, err = c.unmarshal.UnmarshalMetrics(b)
		got = err == nil
		return err
	})
	reason := "unmarshal"
	if got {
		reason = "export"
		if err = c.next.ConsumeMetrics(ctx, md); err == nil {
			reason = "confirm"
			err = c.core.Load().Confirm(stats.Generation)
		}
	}
	c.tel.flushed(ctx, time.Since(start), stats)
	if err != nil {
		if st := ffi.StatusOf(err); st != ffi.StatusOK {
			reason = st.String()
		}
		c.fail(ctx, "flush", reason, err)
	}
}

// fail counts and logs (rate-limited) one failure.
func (c *genaiConnector) fail(ctx context.Context, call, reason string, err error) {
	c.tel.failure(ctx, call, reason)
	c.errLog.Warn("genai connector: a call to the core failed (spans go on to the traces pipeline's other consumers whatever happens here)",
		zap.String("call", call), zap.String("reason", reason), zap.Error(err))
}
