package testenv_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// TestProxy forwards to an echo server, refuses connections while stopped,
// cuts the open ones, and forwards again after Start on the same port.
func TestProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	p := testenv.StartProxy(t, ln.Addr().String())
	echo := func() (net.Conn, error) {
		c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(time.Minute)) // a hang, not a busy machine
		if _, err := c.Write([]byte("ping")); err != nil {
			c.Close()
			return nil, err
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	open, err := echo()
	if err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	defer open.Close()
	p.Stop()
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("a connection was accepted while the proxy was stopped")
	}
	if _, err := open.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a connection open before Stop was not cut: read %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := echo()
	if err != nil {
		t.Fatalf("through the proxy after Start: %v", err)
	}
	c.Close()
}
