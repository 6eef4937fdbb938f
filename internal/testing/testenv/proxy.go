package testenv

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy in front of a server started by this
// package. Stop makes the server unreachable through it (connections are
// refused and the ones open are cut), Start makes it reachable again on the
// same port: an outage and a recovery of a backend whose in-memory state
// (Vault -dev, moto) a real restart would lose.
type Proxy struct {
	target string

	mu    sync.Mutex
	port  int
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// StartProxy listens on a free 127.0.0.1 port and forwards every
// connection to target (host:port). It stops when t ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	p := &Proxy{target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: proxy: %v", err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	p.serve(ln)
	t.Cleanup(p.Stop)
	return p
}

// Addr returns the proxy's address, e.g. "127.0.0.1:41234".
func (p *Proxy) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// Stop closes the listener and every open connection and waits for the
// proxy's goroutines to end. Until Start, connections to Addr are refused.
// It may be called more than once.
func (p *Proxy) Stop() {
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Start listens on the proxy's port again after Stop. The port was the
// proxy's a moment ago, so it is normally still free; Start retries for a
// few seconds while the system releases it.
func (p *Proxy) Start() error {
	p.mu.Lock()
	running := p.ln != nil
	p.mu.Unlock()
	if running {
		return nil
	}
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		var ln net.Listener
		ln, err = net.Listen("tcp", p.Addr())
		if err == nil {
			p.serve(ln)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testenv: proxy: listen on %s again: %w", p.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Stop
			}
			p.forward(c)
		}
	}()
}

// forward copies between c and a new connection to the target.
func (p *Proxy) forward(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // stopped meanwhile
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.conns[up] = struct{}{}
	p.wg.Add(2)
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		_ = src.Close() // either side ending ends both

		_ = dst.Close()
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
	}
	go pipe(up, c)
	go pipe(c, up)
}
