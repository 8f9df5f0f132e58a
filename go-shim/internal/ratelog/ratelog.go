// Package ratelog writes warnings at most once per interval, so that a
// failing core or backend cannot flood the collector's log; the genai
// components count every failure besides.
package ratelog

import (
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Interval bounds how often a failing core can write a warning: a broken
// batch stream must not flood the collector's log.
const Interval = 10 * time.Second

// Log writes at most one warning per interval and says how many
// were suppressed in between. The error counter still sees every failure.
type Log struct {
	logger     *zap.Logger
	interval   time.Duration
	last       atomic.Int64 // unix nanos of the last line written; 0 = never
	suppressed atomic.Int64
}

// New writes to logger at most once per interval.
func New(logger *zap.Logger, interval time.Duration) *Log {
	return &Log{logger: logger, interval: interval}
}

// Warn writes msg unless a line was written less than the interval ago; the
// next line written says how many were suppressed.
func (l *Log) Warn(msg string, fields ...zap.Field) {
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
