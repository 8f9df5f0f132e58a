//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// Helpers of the fault tests (faults_test.go): a VictoriaMetrics that can be
// stopped and restarted on the same address and data, SIGKILL for the
// collector, a sender that counts what the collector acknowledged, and a
// look-up of what VictoriaMetrics stored.

// ProductionConfig is examples/otelcol-genai-production.yaml.
func ProductionConfig(t testing.TB) string {
	t.Helper()
	trackForTestCache(t, "otelcol-genai-production.yaml")
	return filepath.Join(RepoRoot(t), "examples", "otelcol-genai-production.yaml")
}

// restartableVM is VictoriaMetrics on a fixed loopback address and data
// directory, so it can go away and come back as the same server.
type restartableVM struct {
	t      testing.TB
	binary string
	addr   string
	data   string
	cur    *Server
}

func startRestartableVM(t testing.TB) *restartableVM {
	t.Helper()
	vm := &restartableVM{
		t:      t,
		binary: filepath.Join(VictoriaBinDir(t), "victoria-metrics"),
		addr:   FreeAddr(t),
		data:   filepath.Join(t.TempDir(), "vm-data"),
	}
	vm.start()
	return vm
}

// URL is the server's base URL; it stays the same across restarts.
func (vm *restartableVM) URL() string { return "http://" + vm.addr }

func (vm *restartableVM) start() {
	t := vm.t
	t.Helper()
	s := &Server{URL: vm.URL(), LogPath: filepath.Join(t.TempDir(), "vm.log"), done: make(chan struct{})}
	logFile, err := os.Create(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(vm.binary, "-httpListenAddr="+vm.addr, "-storageDataPath="+vm.data,
		"-search.disableCache", "-retentionPeriod=30d", "-search.latencyOffset=0s")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", vm.binary, err)
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
			t.Logf("victoria-metrics output:\n%s", tail(string(b), 3000))
		}
	})
	vm.cur = s
	WaitFor(t, 60*time.Second, "victoria-metrics /health", func() bool {
		resp, err := http.Get(s.URL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// stop shuts VictoriaMetrics down (SIGTERM: it flushes what it stored).
func (vm *restartableVM) stop() { vm.cur.Stop() }

// seqValues is the set of `seq` label values of faults_probe{run=run}.
func (vm *restartableVM) seqValues(run string) (map[string]bool, error) {
	q := url.Values{}
	q.Set("match[]", fmt.Sprintf(`faults_probe{run=%q}`, run))
	q.Set("start", strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10))
	resp, err := http.Get(vm.URL() + "/api/v1/label/seq/values?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data []string `json:"data"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(r.Data))
	for _, v := range r.Data {
		out[v] = true
	}
	return out, nil
}

// kill sends SIGKILL to the collector and waits for it to die; its
// registered clean stop is disarmed (there is nothing left to stop).
func (c *Collector) kill(t testing.TB) {
	t.Helper()
	c.stop.Do(func() {})
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-c.done
}

// probeBatch is `points` gauge points of faults_probe, each its own series
// (label seq = first..first+points-1), carrying a legacy GenAI attribute so
// that the genai processor decodes and rewrites every batch.
func probeBatch(run string, first, points int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "faults")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("faults_probe")
	dps := m.SetEmptyGauge().DataPoints()
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := first; i < first+points; i++ {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(now)
		dp.SetDoubleValue(1)
		dp.Attributes().PutStr("run", run)
		dp.Attributes().PutStr("seq", strconv.Itoa(i))
		dp.Attributes().PutStr("gen_ai.system", "openai")
	}
	return md
}

// tryPostMetrics sends md over OTLP/HTTP; nil means the collector
// acknowledged it (HTTP 200).
func tryPostMetrics(endpoint string, md pmetric.Metrics) error {
	body, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+endpoint+"/v1/metrics", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

// load sends probe batches of `points` points to endpoint() every interval
// until stop is closed, and reports on done which seq values were
// acknowledged and how many were attempted.
type load struct {
	acked     map[int]bool
	attempted int
	refused   int
}

// ackedSoFar, when not nil, follows the number of acknowledged points.
func runLoad(run string, endpoint func() string, points int, interval time.Duration, stop <-chan struct{}, ackedSoFar *atomic.Int64) <-chan load {
	done := make(chan load, 1)
	go func() {
		l := load{acked: map[int]bool{}}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for next := 0; ; next += points {
			select {
			case <-stop:
				done <- l
				return
			case <-tick.C:
			}
			l.attempted += points
			if err := tryPostMetrics(endpoint(), probeBatch(run, next, points)); err != nil {
				l.refused += points
				continue
			}
			for i := next; i < next+points; i++ {
				l.acked[i] = true
			}
			if ackedSoFar != nil {
				ackedSoFar.Add(int64(points))
			}
		}
	}()
	return done
}

// waitStored waits until VictoriaMetrics holds every acknowledged point of
// run, and returns how many series of the run it holds.
func waitStored(t testing.TB, vm *restartableVM, run string, l load, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stored, err := vm.seqValues(run)
		missing := 0
		for i := range l.acked {
			if !stored[strconv.Itoa(i)] {
				missing++
			}
		}
		if err == nil && missing == 0 {
			return len(stored)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s VictoriaMetrics lacks %d of %d acknowledged points (query error: %v)",
				timeout, missing, len(l.acked), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
