package vault_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// BenchmarkLoad100 loads 100 secrets from a Vault dev server, side by side:
//
//   - adapter: what generated Load does, genimpl.Fetch (GetMany: up to 8
//     reads at once) then genimpl.Field for each secret;
//   - sequential: one read after the other, the design document's way.
//
// Both use the same provider and client, configured by FromEnv, and run
// twice: straight over loopback, where the 2 cores are the limit (the dev
// server spends about 0.4 ms of CPU on each read, the client 0.15 ms), and
// through a loopback proxy that holds each chunk about 1 ms each way, a
// round trip of about 2 ms as between a service and a Vault in another
// availability zone. The benchmark logs the round trip it measured.
//
//	go test -run '^$' -bench Load100 ./adapters/vault
func BenchmarkLoad100(b *testing.B) {
	srv := startServer(b)
	const env = "bench"
	refs := make([]runtime.Ref, 100)
	for i := range refs {
		path := fmt.Sprintf("bench/secret%03d", i)
		srv.put(b, env, path, map[string]any{"value": "value-" + path})
		refs[i] = runtime.Ref{Path: path}
	}
	ctx := context.Background()
	networks := []struct {
		name string
		addr string
	}{
		{"loopback", srv.Addr()},
		{"rtt=2ms", latencyProxy(b, srv.Addr(), time.Millisecond)},
	}
	b.Logf("measured added round trip of the rtt=2ms proxy: %v", roundTrip(b, networks[1].addr)-roundTrip(b, networks[0].addr))
	for _, nw := range networks {
		b.Setenv("VAULT_ADDR", nw.addr)
		b.Setenv("VAULT_TOKEN", srv.RootToken())
		b.Setenv("VAULT_NAMESPACE", "")
		b.Setenv("SECRETS_VAULT_AUTH", "token")
		b.Setenv("SECRETS_VAULT_MOUNT", "")
		p, err := vault.FromEnv(ctx, app, env)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()

		b.Run(nw.name+"/adapter", func(b *testing.B) {
			for b.Loop() {
				l := genimpl.Fetch(ctx, p, refs)
				for i := range refs {
					genimpl.Field(l, i, genimpl.ParseString)
				}
				if err := l.Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(nw.name+"/sequential", func(b *testing.B) {
			for b.Loop() {
				for _, ref := range refs {
					v, err := p.Get(ctx, ref)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := genimpl.ParseString(v.Text); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// roundTrip returns the mean time of a GET /v1/sys/health at addr.
func roundTrip(b *testing.B, addr string) time.Duration {
	const n = 20
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	start := time.Now()
	for range n {
		resp, err := c.Get(addr + "/v1/sys/health")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return time.Since(start) / n
}

// latencyProxy forwards TCP connections on a 127.0.0.1 port to the server
// at addr ("http://host:port"), holding each chunk for delay in each
// direction, and returns its own address. It stops with the benchmark.
func latencyProxy(b *testing.B, addr string, delay time.Duration) string {
	b.Helper()
	target := addr[len("http://"):]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				s, err := net.Dial("tcp", target)
				if err != nil {
					c.Close()
					return
				}
				go pipe(s, c, delay)
				pipe(c, s, delay)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// pipe copies src to dst, sleeping delay before each write, and closes dst
// when src ends.
func pipe(dst, src net.Conn, delay time.Duration) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
