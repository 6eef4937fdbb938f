package vault_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"golang.org/x/sync/errgroup"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkPoll100 is what a runtime.Live's poll of 100 secrets costs
// against the Vault 1.14.1 dev server, side by side (docs/fleet.md):
//
//   - adapter: the poll as it is, the provider's GetMany: one KV v2 data
//     read (GET secret/data/...) per secret, 64 at once;
//   - data: the same 100 data reads made directly with the API client,
//     64 at once, without the adapter's work (the baseline of the next);
//   - metadata: 100 metadata reads (GET secret/metadata/...), 64 at once:
//     what change detection by current_version would cost before it read
//     the changed secrets' data.
//
// Each secret has `versions` versions (KV v2 metadata lists every
// version it keeps, 10 by default). Beside ns/op it reports requests/op
// (what a Vault rate-limit quota counts), resp-bytes/op (response bodies)
// and the CPU time the server and the benchmark process spent per poll.
//
//	go test -run '^$' -bench Poll100 -benchtime 2s ./adapters/vault
func BenchmarkPoll100(b *testing.B) {
	srv := startServer(b)
	const env = "poll"
	for _, versions := range []int{1, 10} {
		refs := make([]runtime.Ref, 100)
		paths := make([]string, len(refs))
		for i := range refs {
			path := fmt.Sprintf("v%d/secret%03d", versions, i)
			for v := range versions {
				srv.put(b, env, path, map[string]any{"value": fmt.Sprintf("value-%s-%d-%s", path, v, "0123456789abcdef0123456789abcdef")})
			}
			refs[i] = runtime.Ref{Path: path}
			paths[i] = app + "/" + env + "/" + path
		}
		cpu := serverCPU(b, srv.Addr())
		self := processCPU(b, "/proc/self/stat")

		var requests, bytes atomic.Int64
		client, err := newVaultClient(srv.Vault, srv.RootToken(), func(c *api.Config) {
			tr := c.HttpClient.Transport.(*http.Transport)
			tr.MaxIdleConnsPerHost = vault.DefaultMaxConcurrency
			c.HttpClient.Transport = countBytes{next: tr, requests: &requests, bytes: &bytes}
		})
		if err != nil {
			b.Fatal(err)
		}
		p, err := vault.New(client, app, env, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()

		raw := func(prefix string) func(context.Context) error {
			return func(ctx context.Context) error {
				var g errgroup.Group
				g.SetLimit(vault.DefaultMaxConcurrency)
				for _, path := range paths {
					g.Go(func() error {
						s, err := client.Logical().ReadWithContext(ctx, "secret/"+prefix+"/"+path)
						if err == nil && s == nil {
							err = fmt.Errorf("%s: no answer", path)
						}
						return err
					})
				}
				return g.Wait()
			}
		}
		for _, v := range []struct {
			name string
			run  func(context.Context) error
		}{
			{"adapter", func(ctx context.Context) error {
				for _, r := range p.GetMany(ctx, refs) {
					if r.Err != nil {
						return r.Err
					}
				}
				return nil
			}},
			{"data", raw("data")},
			{"metadata", raw("metadata")},
		} {
			b.Run(fmt.Sprintf("versions=%d/%s", versions, v.name), func(b *testing.B) {
				ctx := context.Background()
				if err := v.run(ctx); err != nil { // warm-up: fill the pool
					b.Fatal(err)
				}
				requests.Store(0)
				bytes.Store(0)
				cpu0, self0 := cpu(), self()
				for b.Loop() {
					if err := v.run(ctx); err != nil {
						b.Fatal(err)
					}
				}
				n := float64(b.N)
				b.ReportMetric(float64(requests.Load())/n, "requests/op")
				b.ReportMetric(float64(bytes.Load())/n, "resp-bytes/op")
				b.ReportMetric(ms((cpu()-cpu0)/time.Duration(b.N)), "server-cpu-ms")
				b.ReportMetric(ms((self()-self0)/time.Duration(b.N)), "client-cpu-ms")
			})
		}
	}
}

// countBytes counts the requests made and the response body bytes read.
type countBytes struct {
	next            http.RoundTripper
	requests, bytes *atomic.Int64
}

func (c countBytes) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{ReadCloser: resp.Body, n: c.bytes}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
