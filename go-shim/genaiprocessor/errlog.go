package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// errorLogInterval bounds how often a failing core can write a warning: a
// broken batch stream must not flood the collector's log.
const errorLogInterval = 10 * time.Second

// rateLimitedLog writes at most one warning per interval and says how many
// were suppressed in between. The error counter still sees every failure.
type rateLimitedLog struct {
	logger     *zap.Logger
	interval   time.Duration
	last       atomic.Int64 // unix nanos of the last line written; 0 = never
	suppressed atomic.Int64
}

func newRateLimitedLog(logger *zap.Logger, interval time.Duration) *rateLimitedLog {
	return &rateLimitedLog{logger: logger, interval: interval}
}

func (l *rateLimitedLog) warn(msg string, fields ...zap.Field) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if last != 0 && now-last < int64(l.interval) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	if n := l.suppressed.Swap(0); n > 0 {
		fields = append(fields, zap.Int64("suppressed_since_last", n))
	}
	l.logger.Warn(msg, fields...)
}
