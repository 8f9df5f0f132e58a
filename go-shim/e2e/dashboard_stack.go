//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// VictoriaBinDir builds (once per machine and version) VictoriaMetrics and
// VictoriaLogs with scripts/install-victoria.sh and returns their directory.
func VictoriaBinDir(t testing.TB) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(t), "scripts", "install-victoria.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/install-victoria.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// Server is a VictoriaMetrics or VictoriaLogs process on a loopback port
// with a temporary data directory, stopped with t.Cleanup.
type Server struct {
	URL     string // http://127.0.0.1:port
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

// StartServer runs binary with -httpListenAddr and -storageDataPath set
// plus flags, and waits until /health answers.
func StartServer(t testing.TB, binary string, flags ...string) *Server {
	t.Helper()
	addr := FreeAddr(t)
	dir := t.TempDir()
	s := &Server{URL: "http://" + addr, LogPath: filepath.Join(dir, "server.log"), done: make(chan struct{})}
	logFile, err := os.Create(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-httpListenAddr=" + addr, "-storageDataPath=" + filepath.Join(dir, "data")}, flags...)
	s.cmd = exec.Command(binary, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", binary, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			b, _ := os.ReadFile(s.LogPath)
			t.Logf("%s output:\n%s", filepath.Base(binary), tail(string(b), 4000))
		}
	})
	WaitFor(t, 60*time.Second, filepath.Base(binary)+" /health", func() bool {
		select {
		case <-s.done:
			b, _ := os.ReadFile(s.LogPath)
			t.Fatalf("%s exited (%v):\n%s", binary, s.err, tail(string(b), 4000))
		default:
		}
		resp, err := http.Get(s.URL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// Stop sends SIGTERM and waits (kills after 30s).
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Sample is one element of an instant query result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant MetricsQL query at time at against VictoriaMetrics
// (response cache off) and returns the samples; NaN values are kept.
func Query(t testing.TB, vm *Server, expr string, at time.Time) ([]Sample, error) {
	t.Helper()
	q := url.Values{}
	q.Set("query", expr)
	q.Set("time", strconv.FormatInt(at.Unix(), 10))
	q.Set("nocache", "1")
	resp, err := http.Get(vm.URL + "/api/v1/query?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	var r struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", body, err)
	}
	parse := func(v [2]any) (float64, error) {
		s, _ := v[1].(string)
		return strconv.ParseFloat(s, 64)
	}
	switch r.Data.ResultType {
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			return nil, err
		}
		f, err := parse(v)
		return []Sample{{Value: f}}, err
	case "vector":
		var vs []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vs); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(vs))
		for _, v := range vs {
			f, err := parse(v.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: v.Metric, Value: f})
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unexpected result type %q: %s", r.Data.ResultType, body)
	}
}

// QueryLogs runs a LogsQL query against VictoriaLogs over [start, end] and
// returns the log entries (one JSON object per line).
func QueryLogs(t testing.TB, vl *Server, query string, start, end time.Time) ([]map[string]any, error) {
	t.Helper()
	q := url.Values{}
	q.Set("query", query)
	q.Set("start", start.UTC().Format(time.RFC3339))
	q.Set("end", end.UTC().Format(time.RFC3339))
	resp, err := http.PostForm(vl.URL+"/select/logsql/query", q)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return nil, fmt.Errorf("decoding %q: %w", line, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// LabelNames lists the label names of the series matching selector.
func LabelNames(vm *Server, selector string) ([]string, error) {
	q := url.Values{}
	q.Set("match[]", selector)
	resp, err := http.Get(vm.URL + "/api/v1/labels?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data []string `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	return r.Data, nil
}
