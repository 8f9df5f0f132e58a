//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// RealCall is one LLM call a real-instrumentation app made, as
// tests/realinstr/run_app.py reports it.
type RealCall struct {
	Name                string  `json:"name"`
	Operation           string  `json:"operation"`
	Provider            string  `json:"provider"`
	Model               string  `json:"model"`
	Stream              bool    `json:"stream"`
	InputTokens         float64 `json:"input_tokens"`
	OutputTokens        float64 `json:"output_tokens"`
	CachedTokens        float64 `json:"cached_tokens"`
	ReasoningTokens     float64 `json:"reasoning_tokens"`
	CacheCreationTokens float64 `json:"cache_creation_tokens"`
	// TTFTMs: how long the fake server waited before its first byte (a
	// stream's first chunk), as the app asked it to.
	TTFTMs    float64 `json:"ttft_ms"`
	ErrorType *string `json:"error_type"`
	// InMetrics: the library records the call in its operation-duration metric.
	InMetrics bool `json:"in_metrics"`
	// Tokens: "exact" (the API's usage reaches the token metric), "estimated"
	// (the library counted itself), "none" (no token point).
	Tokens string `json:"tokens"`
}

// Failed reports whether the call was an error response.
func (c RealCall) Failed() bool { return c.ErrorType != nil }

// RealRun is what one app run did (run_app.py's JSON).
type RealRun struct {
	Library      string         `json:"library"` // e.g. openlit-1.45.0
	Package      string         `json:"package"` // e.g. openlit
	Version      string         `json:"version"`
	Venv         string         `json:"venv"`
	SDKName      string         `json:"sdk_name"`
	ComputesCost bool           `json:"computes_cost"`
	Service      string         `json:"service"`
	Environment  string         `json:"environment"`
	Calls        []RealCall     `json:"calls"`
	Summary      map[string]any `json:"summary"`
	// SendsMetrics: the library sends metrics of its own (false: traces only).
	SendsMetrics bool `json:"sends_metrics"`
	// Rounds: how many times the app ran (RunRealAppRounds); Calls holds
	// every round's calls.
	Rounds int `json:"-"`
}

// errVenvMissing: the library's venv could not be set up; the test skips it.
var errVenvMissing = errors.New("venv missing")

// SetUpVenv runs scripts/setup-pyenv.sh for venv (instant when it is
// already set up, as scripts/test.sh does before the Go end-to-end step).
// The error carries the script's output when it fails.
func SetUpVenv(t testing.TB, venv string) error {
	t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(t), "scripts", "setup-pyenv.sh"), venv)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(tail(string(out), 2000) + ": " + err.Error())
	}
	return nil
}

// SetUpNode runs scripts/setup-node.sh (the Node apps' npm packages in
// tests/realinstr/node/node_modules; instant when they are installed), the
// Node counterpart of SetUpVenv, as tests/realinstr/harness.py's Library
// with runtime "node" expects.
func SetUpNode(t testing.TB) error {
	t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(t), "scripts", "setup-node.sh"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(tail(string(out), 2000) + ": " + err.Error())
	}
	return nil
}

// runnerPython is the Python that runs run_app.py (stdlib only): the
// runner venv's when set up, else python3.
func runnerPython(t testing.TB) string {
	p := filepath.Join(RepoRoot(t), "build", "pyenv", "runner", "bin", "python")
	if dir := os.Getenv("GENAI_PYENV_DIR"); dir != "" {
		p = filepath.Join(dir, "runner", "bin", "python")
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "python3"
}

// firstCallPause is the app's pause after its first call: two of the SDK's
// 1 s metric exports, so a series' later calls are an increase rate() sees.
const firstCallPause = 2500 * time.Millisecond

// RunRealApp runs library's app (tests/realinstr/run_app.py) against the
// fake OpenAI server with endpoint (http://host:port) as its OTLP/HTTP
// receiver and returns what it did.
func RunRealApp(t testing.TB, library, endpoint, service, environment string) (RealRun, error) {
	t.Helper()
	cmd := exec.Command(runnerPython(t), filepath.Join(RepoRoot(t), "tests", "realinstr", "run_app.py"),
		"--library", library, "--endpoint", endpoint, "--service", service, "--environment", environment,
		"--first-call-pause-ms", fmt.Sprint(firstCallPause.Milliseconds()))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		return RealRun{}, errors.Join(errVenvMissing, errors.New(stderr.String()))
	}
	if err != nil {
		return RealRun{}, errors.New("run_app.py " + library + ": " + err.Error() + "\n" + tail(stderr.String(), 4000))
	}
	if s := stderr.String(); strings.Contains(s, "exporter errors") {
		t.Logf("%s app stderr:\n%s", library, tail(s, 2000))
	}
	var run RealRun
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		return RealRun{}, errors.New("decoding run_app.py output: " + err.Error() + "\n" + stdout.String())
	}
	return run, nil
}

// RunRealAppRounds runs library's app rounds times against the same
// collector, pausing between runs, and returns the runs' calls together:
// each series the app feeds then changes after its first sample even when
// the library exports on its own schedule (the app's spans reach the
// collector when the app exits, its SDK flushed).
func RunRealAppRounds(t testing.TB, library, endpoint, service, environment string, rounds int, pause time.Duration) (RealRun, error) {
	t.Helper()
	var all RealRun
	for i := 0; i < rounds; i++ {
		if i > 0 {
			time.Sleep(pause)
		}
		run, err := RunRealApp(t, library, endpoint, service, environment)
		if err != nil {
			return RealRun{}, err
		}
		calls := append(all.Calls, run.Calls...)
		all, all.Calls = run, calls
	}
	all.Rounds = rounds
	return all, nil
}

// readJSONLines calls f with every non-empty line of a file exporter's
// output; a missing file has no lines.
func readJSONLines(t testing.TB, path string, f func([]byte) error) {
	t.Helper()
	file, err := os.Open(path)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := f(sc.Bytes()); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// ReadTracesFile reads a file exporter's OTLP/JSON traces into one value.
func ReadTracesFile(t testing.TB, path string) ptrace.Traces {
	t.Helper()
	out := ptrace.NewTraces()
	var u ptrace.JSONUnmarshaler
	readJSONLines(t, path, func(b []byte) error {
		td, err := u.UnmarshalTraces(b)
		if err == nil {
			td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
		}
		return err
	})
	return out
}

// ReadLogsFile reads a file exporter's OTLP/JSON logs into one value.
func ReadLogsFile(t testing.TB, path string) plog.Logs {
	t.Helper()
	out := plog.NewLogs()
	var u plog.JSONUnmarshaler
	readJSONLines(t, path, func(b []byte) error {
		ld, err := u.UnmarshalLogs(b)
		if err == nil {
			ld.ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
		}
		return err
	})
	return out
}
