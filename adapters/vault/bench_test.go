package vault_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// BenchmarkLoad100 loads 100 secrets from a Vault dev server, side by side:
//
//   - adapter: what generated Load does with a provider from FromEnv,
//     genimpl.Fetch (GetMany: up to DefaultMaxConcurrency reads at once)
//     then genimpl.Field for each secret;
//   - fixed8: the same with 8 reads at once and 8 idle connections, the
//     adapter's setting before issue 11;
//   - sequential: one read after the other, the design document's way;
//   - c32 and c128: 32 and 128 reads at once (and idle connections), to
//     show the default of 64 is where the round trip stops mattering.
//
// Each runs twice: straight over loopback, where the 2 cores are the
// limit, and through a loopback proxy that holds each chunk about 1 ms each
// way, a round trip of about 2 ms as between a service and a Vault in
// another availability zone. Beside each result it reports:
//
//   - bound-ms: the lower bound of a load, one round trip (rtt-ms, a GET
//     of sys/health measured at that address in the same run) plus the
//     CPU time the Vault server spent per load (server-cpu-ms, from
//     /proc/PID/stat over the timed loop) on two cores; x-bound is the
//     result divided by it;
//
//   - client-cpu-ms: the CPU time of the benchmark process per load (the
//     client, and the latency proxy when there is one), which shares the
//     two cores with the server and which the bound leaves out;
//
//   - dials/op: connections opened per load after a warm-up load (from
//     httptrace: a read that did not get a reused connection); the
//     adapter fails the benchmark if it dials.
//
//     go test -run '^$' -bench Load100 -benchtime 2s ./adapters/vault
func BenchmarkLoad100(b *testing.B) {
	srv := startServer(b)
	const env = "bench"
	refs := make([]runtime.Ref, 100)
	for i := range refs {
		path := fmt.Sprintf("bench/secret%03d", i)
		srv.put(b, env, path, map[string]any{"value": "value-" + path})
		refs[i] = runtime.Ref{Path: path}
	}
	cpu := serverCPU(b, srv.Addr())
	self := processCPU(b, "/proc/self/stat")
	networks := []struct {
		name string
		addr string
	}{
		{"loopback", srv.Addr()},
		{"rtt=2ms", latencyProxy(b, srv.Addr(), time.Millisecond)},
	}
	for _, nw := range networks {
		rtt := roundTrip(b, nw.addr)
		b.Setenv("VAULT_ADDR", nw.addr)
		b.Setenv("VAULT_TOKEN", srv.RootToken())
		b.Setenv("VAULT_NAMESPACE", "")
		b.Setenv("SECRETS_VAULT_AUTH", "token")
		b.Setenv("SECRETS_VAULT_MOUNT", "")
		p, err := vault.FromEnv(context.Background(), app, env)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		p8 := fixed8(b, nw.addr, srv.RootToken(), env)
		defer p8.Close()

		load := func(ctx context.Context, p *vault.Provider) error {
			l := genimpl.Fetch(ctx, p, refs)
			for i := range refs {
				genimpl.Field(l, i, genimpl.ParseString)
			}
			return l.Err()
		}
		sequential := func(ctx context.Context, p *vault.Provider) error {
			for _, ref := range refs {
				v, err := p.Get(ctx, ref)
				if err != nil {
					return err
				}
				if _, err := genimpl.ParseString(v.Text); err != nil {
					return err
				}
			}
			return nil
		}
		for _, v := range []struct {
			name string
			p    *vault.Provider
			run  func(context.Context, *vault.Provider) error
		}{
			{"adapter", p, load},
			{"fixed8", p8, load},
			{"sequential", p, sequential},
			{"c32", fixedN(b, nw.addr, srv.RootToken(), env, 32), load},
			{"c128", fixedN(b, nw.addr, srv.RootToken(), env, 128), load},
		} {
			b.Run(nw.name+"/"+v.name, func(b *testing.B) {
				if err := v.run(context.Background(), v.p); err != nil { // warm-up: log in, fill the pool
					b.Fatal(err)
				}
				var dials atomic.Int64
				ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
					GotConn: func(info httptrace.GotConnInfo) {
						if !info.Reused {
							dials.Add(1)
						}
					},
				})
				cpu0, self0 := cpu(), self()
				for b.Loop() {
					if err := v.run(ctx, v.p); err != nil {
						b.Fatal(err)
					}
				}
				perOp := b.Elapsed() / time.Duration(b.N)
				server := (cpu() - cpu0) / time.Duration(b.N)
				client := (self() - self0) / time.Duration(b.N)
				bound := rtt + server/2
				b.ReportMetric(float64(dials.Load())/float64(b.N), "dials/op")
				b.ReportMetric(ms(rtt), "rtt-ms")
				b.ReportMetric(ms(server), "server-cpu-ms")
				b.ReportMetric(ms(client), "client-cpu-ms")
				b.ReportMetric(ms(bound), "bound-ms")
				b.ReportMetric(perOp.Seconds()/bound.Seconds(), "x-bound")
				if v.name == "adapter" && dials.Load() > 0 {
					b.Errorf("the adapter opened %d connections in %d loads after the warm-up", dials.Load(), b.N)
				}
			})
		}
	}
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

// fixed8 returns a provider reading 8 secrets at once over a client with 8
// idle connections: FromEnv's settings before issue 11.
func fixed8(b *testing.B, addr, token, env string) *vault.Provider {
	return fixedN(b, addr, token, env, 8)
}

func fixedN(b *testing.B, addr, token, env string, n int) *vault.Provider {
	cfg := api.DefaultConfig()
	cfg.Address = addr
	cfg.HttpClient.Transport.(*http.Transport).MaxIdleConnsPerHost = n
	c, err := api.NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	c.SetToken(token)
	c.ClearNamespace()
	p, err := vault.New(c, app, env, &vault.Options{MaxConcurrency: n})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cfg.HttpClient.CloseIdleConnections)
	return p
}

// serverCPU returns a function that reports the CPU time (user and
// system) the Vault server listening at addr has used so far.
func serverCPU(b *testing.B, addr string) func() time.Duration {
	hostport := strings.TrimPrefix(addr, "http://")
	stats, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range stats {
		cmd, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		args := bytes.Split(cmd, []byte{0})
		if filepath.Base(string(args[0])) != "vault" || !bytes.Contains(cmd, []byte("-dev-listen-address="+hostport)) {
			continue
		}
		return processCPU(b, filepath.Join(filepath.Dir(f), "stat"))
	}
	b.Fatalf("no Vault process listening at %s in /proc", hostport)
	return nil
}

// processCPU returns a function that reports the CPU time (user and
// system, all threads) of the process whose /proc/PID/stat is stat.
func processCPU(b *testing.B, stat string) func() time.Duration {
	return func() time.Duration {
		raw, err := os.ReadFile(stat)
		if err != nil {
			b.Fatalf("reading CPU time: %v", err)
		}
		// Fields after the command name (which ends with ')'): state is
		// field 3, utime and stime are 14 and 15, in clock ticks of
		// 1/100 s.
		fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		var ticks int64
		for _, s := range fields[11:13] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				b.Fatalf("reading CPU time from %s: %q", stat, s)
			}
			ticks += n
		}
		return time.Duration(ticks) * 10 * time.Millisecond
	}
}

// roundTrip returns the mean time of a GET /v1/sys/health at addr over a
// connection opened beforehand.
func roundTrip(b *testing.B, addr string) time.Duration {
	const n = 50
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	get := func() {
		resp, err := c.Get(addr + "/v1/sys/health")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	start := time.Now()
	for range n {
		get()
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
