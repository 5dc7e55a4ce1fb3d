package remote_test

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
)

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchPair returns the local backend and a remote client talking to our
// server (over its own local backend) on loopback.
func benchPair(b *testing.B) (client.Client, client.Client) {
	b.Helper()
	loc := newLocal(b)
	b.Cleanup(func() { loc.Close() })
	url, stop := startServer(b)
	b.Cleanup(stop)
	r, err := remote.New(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return loc, r
}

// Exec of `true` through the remote client vs the local backend, alternated
// in the same run. Target: ratio ≤ 2.
func BenchmarkRemoteExecTrue(b *testing.B) {
	loc, rem := benchPair(b)
	ctx := context.Background()
	run := func(c client.Client) time.Duration {
		start := time.Now()
		res, err := c.Exec(ctx, client.ExecRequest{Command: "true"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%+v %v", res, err)
		}
		return time.Since(start)
	}
	run(rem) // probe capabilities, warm connections
	var ld, rd []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ld = append(ld, run(loc))
		rd = append(rd, run(rem))
	}
	b.ReportMetric(float64(median(rd).Microseconds()), "remote-median-µs")
	b.ReportMetric(float64(median(ld).Microseconds()), "local-median-µs")
	b.ReportMetric(float64(median(rd))/float64(median(ld)), "ratio")
}

// Sync session command `true` round trip over loopback. Target: median ≤ 3 ms.
func BenchmarkRemoteSessionRoundTrip(b *testing.B) {
	loc, rem := benchPair(b)
	ctx := context.Background()
	for _, c := range []client.Client{loc, rem} {
		if err := c.CreateSession(ctx, client.SessionOptions{ID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	run := func(c client.Client) time.Duration {
		start := time.Now()
		res, err := c.ExecSession(ctx, "bench", client.SessionExecRequest{Command: "true"})
		if err != nil || res.ExitCode == nil || *res.ExitCode != 0 {
			b.Fatalf("%+v %v", res, err)
		}
		return time.Since(start)
	}
	run(rem)
	var ld, rd []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ld = append(ld, run(loc))
		rd = append(rd, run(rem))
	}
	b.ReportMetric(float64(median(rd).Microseconds())/1000, "remote-median-ms")
	b.ReportMetric(float64(median(ld).Microseconds())/1000, "local-median-ms")
	b.ReportMetric(float64(median(rd))/float64(median(ld)), "ratio")
}

// 100 MB through a followed log: remote (WebSocket over loopback) vs the
// local backend's StreamCommandLogs. Target: remote ≥ 50% of local.
func BenchmarkRemoteFollow100MB(b *testing.B) {
	loc, rem := benchPair(b)
	ctx := context.Background()
	const size = 100_000_000
	for _, c := range []client.Client{loc, rem} {
		if err := c.CreateSession(ctx, client.SessionOptions{ID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	run := func(c client.Client) time.Duration {
		start := time.Now()
		res, err := c.ExecSession(ctx, "bench", client.SessionExecRequest{Command: "head -c 100000000 /dev/zero", Async: true})
		if err != nil {
			b.Fatal(err)
		}
		st, err := c.StreamCommandLogs(ctx, "bench", res.CmdID, client.LogOptions{Follow: true})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			ch, err := st.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(ch.Data)
		}
		st.Close()
		if n != size {
			b.Fatalf("got %d bytes", n)
		}
		return time.Since(start)
	}
	var ld, rd []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ld = append(ld, run(loc))
		rd = append(rd, run(rem))
	}
	mbps := func(d time.Duration) float64 { return size / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(median(rd)), "remote-MB/s")
	b.ReportMetric(mbps(median(ld)), "local-MB/s")
	b.ReportMetric(mbps(median(rd))/mbps(median(ld)), "ratio")
}
