package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RawCodec passes OTLP protobuf bytes through gRPC untouched (values are
// *[]byte), so the load generators and sinks spend no CPU on
// (un)marshaling next to the collector.
type RawCodec struct{}

// Marshal returns the bytes as they are.
func (RawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }

// Unmarshal copies data into *v.
func (RawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}

// Name is the codec gRPC uses for protobuf.
func (RawCodec) Name() string { return "proto" }

// FreePort returns a loopback address with a port free at the time of the
// call.
func FreePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// ProcStatusKiB returns a field of /proc/<pid>/status in KiB (VmRSS,
// VmHWM), or 0 when it cannot be read.
func ProcStatusKiB(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return 0
}

// Collector is a running collector binary.
type Collector struct {
	Cmd    *exec.Cmd
	Stderr bytes.Buffer
	dir    string
}

// StartCollector runs bin with the configuration cfg (JSON is valid YAML),
// written to a temporary directory that Stop removes.
func StartCollector(bin string, cfg []byte) (*Collector, error) {
	dir, err := os.MkdirTemp("", "otelcol-genai-bench")
	if err != nil {
		return nil, err
	}
	c := &Collector{dir: dir}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.Cmd = exec.Command(bin, "--config="+path)
	c.Cmd.Stderr = &c.Stderr
	if err := c.Cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// Pid is the collector's process id.
func (c *Collector) Pid() int { return c.Cmd.Process.Pid }

// Stop interrupts the collector, kills it if it has not exited after
// grace, and removes its configuration.
func (c *Collector) Stop(grace time.Duration) {
	defer os.RemoveAll(c.dir)
	_ = c.Cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = c.Cmd.Process.Kill()
		<-done
	}
}

// JSONLines returns an encoder writing one JSON value per line to path,
// appended, or to stdout when path is empty; close closes the file.
func JSONLines(path string) (enc *json.Encoder, close func() error, err error) {
	if path == "" {
		return json.NewEncoder(os.Stdout), func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return json.NewEncoder(f), f.Close, nil
}

// WaitReady calls send (with a 2 s deadline) until it succeeds, the
// collector exits or a minute has passed.
func (c *Collector) WaitReady(send func(context.Context) error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := send(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || c.Cmd.ProcessState != nil {
			return fmt.Errorf("collector not ready: %v\n%s", err, c.Stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
