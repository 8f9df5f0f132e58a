package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ratelog"
)

// genaiProcessor hands each batch to the Rust core as OTLP protobuf bytes.
// pdata v1.67.0's proto unmarshalers copy every string and bytes field out
// of their input (string(buf[i:j]), make+copy), so the new pdata is decoded
// straight from the Rust-owned buffer before it is freed;
// TestUnmarshalDoesNotAliasInput guards that assumption across pdata upgrades.
type genaiProcessor struct {
	cfg    *Config
	logger *zap.Logger
	tel    *telemetry
	errLog *ratelog.Log
	// collisionLogged: the first batch whose metric names collide after
	// naming has been logged; later ones are only counted.
	collisionLogged atomic.Bool
	core            atomic.Pointer[ffi.Processor] // nil until Start succeeds
	budget          *inflight                     // bytes inside the core at once (max_inflight_bytes)
	zeroStarts      *zeroStarts                   // nil when zero_start is off
	unpriced        *unpricedTally                // nil when unpriced_models.top is 0
	readings        readings                      // trace batches' readings for the genai connector (shared_read.go)
	// watch and reloadDone: the pricing files' watcher (reload.go);
	// reloadDone is closed when it ends, nil when it was not started.
	watch      pricingWatch
	reloadDone chan struct{}
	marshal    struct {
		traces  ptrace.ProtoMarshaler
		metrics pmetric.ProtoMarshaler
		logs    plog.ProtoMarshaler
	}
	unmarshal struct {
		traces  ptrace.ProtoUnmarshaler
		metrics pmetric.ProtoUnmarshaler
		logs    plog.ProtoUnmarshaler
	}

	// maxWait bounds a batch's waits (defaultMaxWait); stopping ends them
	// when the processor shuts down.
	maxWait  time.Duration
	stopping context.Context
	stop     context.CancelCauseFunc
}

func newGenaiProcessor(set processor.Settings, cfg *Config) (*genaiProcessor, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	stopping, stop := context.WithCancelCause(context.Background())
	p := &genaiProcessor{
		cfg:    cfg,
		logger: set.Logger,
		tel:    &telemetry{tb: tb},
		errLog: ratelog.New(set.Logger, ratelog.Interval),
		budget: newInflight(cfg.MaxInflightBytes),
		zeroStarts: func() *zeroStarts {
			if !cfg.ZeroStart.Enabled {
				return nil
			}
			return newZeroStarts(cfg.ZeroStart.MaxSeries)
		}(),
		maxWait:  defaultMaxWait,
		stopping: stopping,
		stop:     stop,
		watch:    pricingWatch{paths: pricingPaths(cfg.Cost)},
	}
	if cfg.UnpricedModels.Top > 0 {
		p.unpriced = newUnpricedTally(cfg.UnpricedModels.Top)
		if err := p.tel.observeUnpriced(p.unpriced); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// start creates the Rust processor and starts the pricing files' watcher
// (reload.go). A second start replaces (and frees) the handle of the
// first; after a failed start every batch reaches the core with no handle
// and is counted as an error, never dropped.
func (p *genaiProcessor) start(context.Context, component.Host) error {
	doc, err := p.cfg.coreJSON()
	if err != nil {
		return err
	}
	// The files as they are before the core reads them: a change while it
	// does makes one reload more, never one less.
	states := p.watch.snapshot()
	core, err := ffi.New(doc)
	if err != nil {
		return fmt.Errorf("creating the genai core: %w", err)
	}
	if old := p.core.Swap(core); old != nil {
		_ = old.Close()
	}
	p.logger.Debug("genai core ready", zap.String("core_version", ffi.Version()), zap.String("core_library", ffi.LibraryDigest()))
	p.startReloads(states)
	return nil
}

// shutdown ends the waits of the batches in flight, which go on unchanged
// (reason "shutdown"), and frees the handle without waiting for the core's
// calls in flight (ffi.Processor.Close). The closed processor is kept, so
// batches that arrive later reach the core with a destroyed handle and get
// its invalid_handle error; shutting down twice is harmless.
func (p *genaiProcessor) shutdown(context.Context) error {
	p.stop(errShutdown)
	p.stopReloads()
	err := p.core.Load().Close()
	p.tel.tb.Shutdown()
	return err
}

func (p *genaiProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	out, err := processBatch(ctx, p, &metricsCodec, md, nil)
	if p.zeroStarts != nil {
		p.tel.zeroPoints(ctx, p.zeroStarts.add(out))
	}
	return out, err
}

func (p *genaiProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	return processBatch(ctx, p, &logsCodec, ld, nil)
}

// process marshals one batch and runs it through the core once with call,
// whose callback builds the new pdata or edits the input when the core
// changed the batch. On any failure the caller keeps its input (edits are
// applied all or nothing); the error is returned only in propagate mode.
// The batch's encoded size is taken from the in-flight budget before it is
// marshaled and given back once the core's call has ended and the callback
// is done, so the marshaled copy, the core's working memory and a whole
// batch unmarshaled from the core's buffer are all covered by it.
//
// The waits for the budget and for the core end with ctx, after maxWait,
// or when the processor shuts down: the batch then goes on unchanged,
// counted as "canceled", "timeout" or "shutdown". A core call given up on
// goes on to its end (it cannot be interrupted) and keeps its budget until
// then, so calls given up on cannot pile up past the budget.
func (p *genaiProcessor) process(ctx context.Context, sig ffi.Signal, items int, size func() int, encode func() ([]byte, error), call func(context.Context, *ffi.Processor, []byte) (ffi.Outcome, error)) error {
	p.tel.batch(ctx, sig, items)
	wait, cancel := p.waitFor(ctx)
	defer cancel()
	n := 0
	if p.budget.limit > 0 {
		n = size()
	}
	if err := p.budget.acquire(wait, n); err != nil {
		return p.fail(ctx, sig, waitReason(wait), fmt.Errorf("waiting for max_inflight_bytes: %w", context.Cause(wait)))
	}
	held := true
	defer func() {
		if held {
			p.budget.release(n)
		}
	}()
	in, err := encode()
	if err != nil {
		return p.fail(ctx, sig, "marshal", fmt.Errorf("marshaling %s to OTLP protobuf: %w", sig, err))
	}
	outcome, err := p.callCore(wait, in, call)
	var abandoned *ffi.Abandoned
	if errors.As(err, &abandoned) {
		held = false
		go func() {
			<-abandoned.Finished
			p.budget.release(n)
		}()
		return p.fail(ctx, sig, waitReason(wait), err)
	}
	p.tel.outcome(ctx, sig, outcome)
	if outcome.Stats.MetricNameCollisions > 0 && p.collisionLogged.CompareAndSwap(false, true) {
		p.logger.Warn("genai: metrics with different OTLP names get the same VictoriaMetrics name and their series merge there; counted in otelcol_processor_genai_metric_name_collisions (logged once)",
			zap.Uint64("in_this_batch", outcome.Stats.MetricNameCollisions))
	}
	if len(outcome.UnknownModels) > 0 {
		p.unpriced.add(outcome.UnknownModels)
		if ce := p.logger.Check(zap.DebugLevel, "genai: models without pricing"); ce != nil {
			ce.Write(zap.String("signal", sig.String()), zap.Strings("models", unknownModelNames(outcome.UnknownModels)))
		}
	}
	if err != nil {
		reason := "unmarshal"
		if st := ffi.StatusOf(err); st != ffi.StatusOK {
			reason = st.String()
		}
		return p.fail(ctx, sig, reason, err)
	}
	return nil
}

// defaultMaxWait bounds how long a batch waits for max_inflight_bytes and
// for the core together, and so how long the collector's shutdown waits
// for a batch in this processor (a receiver stops once the requests in
// flight are answered); the Go work on the batch besides (marshaling,
// applying edits) is linear in its size. The core takes about 7 ms per MB
// of GenAI spans (124 ms for 18 MB), so 5 s leaves 40 times the time of
// such a batch.
const defaultMaxWait = 5 * time.Second

var (
	errWaitedTooLong = errors.New("the batch's wait for the genai core ran out")
	errShutdown      = errors.New("the genai processor is shutting down")
)

// waitFor is ctx, also ended after p.maxWait (cause errWaitedTooLong) and
// when the processor shuts down (errShutdown). After shutdown the core is
// called anyway, and refuses the destroyed handle at once.
func (p *genaiProcessor) waitFor(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.stopping.Err() != nil {
		return context.WithTimeoutCause(ctx, p.maxWait, errWaitedTooLong)
	}
	stoppable, stop := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(p.stopping, func() { stop(context.Cause(p.stopping)) })
	wait, cancel := context.WithTimeoutCause(stoppable, p.maxWait, errWaitedTooLong)
	return wait, func() {
		cancel()
		unhook()
		stop(nil)
	}
}

// waitReason is the failure reason of a batch whose wait ended.
func waitReason(wait context.Context) string {
	switch context.Cause(wait) {
	case errWaitedTooLong:
		return "timeout"
	case errShutdown:
		return "shutdown"
	}
	return "canceled"
}

// fail counts and logs a batch that goes on unchanged. In propagate mode
// it returns err, marked permanent (consumererror.NewPermanent) unless it
// is transient: a receiver answers a permanent error as not retryable, so
// a batch that fails the same way on every attempt is not retried forever
// with the healthy items it carries.
func (p *genaiProcessor) fail(ctx context.Context, sig ffi.Signal, reason string, err error) error {
	p.tel.failure(ctx, sig, reason)
	p.errLog.Warn("genai: the core could not process a batch",
		zap.String("signal", sig.String()), zap.String("reason", reason),
		zap.String("error_mode", string(p.cfg.ErrorMode)), zap.Error(err))
	if p.cfg.ErrorMode != ErrorModePropagate {
		return nil
	}
	if transient(err) {
		return err
	}
	return consumererror.NewPermanent(err)
}

// transient says whether a failure may pass when the same batch comes
// again: there is no live core (the processor is shut down or failed to
// start), the batch's context ended, the processor is shutting down, or
// the batch waited too long for max_inflight_bytes (behind others). Any
// other failure comes from the batch's content and recurs on every
// attempt: bytes the core cannot decode (invalid UTF-8, nesting too deep),
// an argument it refuses, a panic, a core call longer than maxWait, a
// batch pdata cannot marshal, an answer that does not fit it.
func transient(err error) bool {
	var abandoned *ffi.Abandoned
	if errors.As(err, &abandoned) && abandoned.Cause == errWaitedTooLong {
		return false
	}
	return ffi.StatusOf(err) == ffi.StatusInvalidHandle ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, errShutdown) || errors.Is(err, errWaitedTooLong)
}
