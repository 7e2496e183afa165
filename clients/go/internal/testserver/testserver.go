// Package testserver starts a real fspd server (`node bin/fspd.js serve` from the repository root) on a
// free port for tests. FSPD_TEST_ADDRESS=host:port uses a running plaintext server instead.
package testserver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Server is a running fspd server.
type Server struct {
	Address        string
	MetricsAddress string // host:port of its Prometheus /metrics
	cmd            *exec.Cmd
	log            *strings.Builder
}

// RepoRoot is the fspd repository: FSPD_REPO, else two levels above this module.
func RepoRoot() string {
	if r := os.Getenv("FSPD_REPO"); r != "" {
		return r
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	if real, err := filepath.EvalSymlinks(dir); err == nil { // offline.sh links the module into a GOPATH
		dir = real
	}
	return filepath.Clean(filepath.Join(dir, "..", "..", "..", ".."))
}

// Start starts `fspd serve` with extra flags and waits (up to 2 min) until it serves.
func Start(flags ...string) (*Server, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: the Go client tests need the fspd server: %w", err)
	}
	root := RepoRoot()
	args := append([]string{filepath.Join(root, "bin", "fspd.js"), "serve", "--address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0", "--shutdown-grace", "2"}, flags...)
	cmd := exec.Command(node, args...)
	cmd.Dir = root
	out, w, err := os.Pipe() // stdout and stderr together, so a failed start shows why
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		return nil, err
	}
	s := &Server{cmd: cmd, log: &strings.Builder{}}
	type serving struct {
		Addresses []string
		Metrics   string
	}
	ready := make(chan serving, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if !sent {
				s.log.WriteString(line + "\n")
			}
			if !sent && strings.Contains(line, `"serving"`) {
				var m serving
				if json.Unmarshal([]byte(line), &m) == nil && len(m.Addresses) > 0 {
					ready <- m
					sent = true
				}
			}
		}
		close(ready)
	}()
	select {
	case m, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			return nil, fmt.Errorf("fspd serve exited before serving:\n%s", s.log.String())
		}
		s.Address, s.MetricsAddress = m.Addresses[0], m.Metrics
		return s, nil
	case <-time.After(2 * time.Minute):
		s.Stop()
		return nil, fmt.Errorf("fspd serve did not start within 2 min:\n%s", s.log.String())
	}
}

// Freeze sends SIGSTOP: the server stops answering but keeps its connections (a hung replica).
func (s *Server) Freeze() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Kill sends SIGKILL and waits: the server dies at once, in-flight calls and all (a crashed replica).
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// Stop sends SIGTERM and waits (SIGKILL after 15 s).
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}
