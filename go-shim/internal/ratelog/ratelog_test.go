package ratelog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestRateLimitedLogSuppressesAndCounts(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	l := New(zap.New(core), time.Hour)
	l.Warn("first")
	l.Warn("second")
	l.Warn("third")
	require.Equal(t, 1, logs.Len(), "one line per interval")
	assert.Equal(t, "first", logs.All()[0].Message)

	// Pretend the interval has passed.
	l.last.Store(time.Now().Add(-2 * time.Hour).UnixNano())
	l.Warn("fourth")
	require.Equal(t, 2, logs.Len())
	assert.Equal(t, int64(2), logs.All()[1].ContextMap()["suppressed_since_last"])
}
