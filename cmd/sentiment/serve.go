package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/server"
)

// cmdServe runs `sentiment serve`: a model's web demo and JSON API, until ctx ends; then the
// requests in flight finish before it returns.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	dir := modelFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default; 0.0.0.0:8080 to serve the network)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireModel(fs, *dir); err != nil {
		return err
	}
	p, err := loadModel(*dir, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return listenError(err, *addr)
	}
	srv := server.New(p, *dir).HTTPServer(*addr)
	fmt.Fprintf(stdout, "serving %s on http://%s/ (API: POST /api/predict); Ctrl-C stops\n", *dir, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done(): // SIGINT/SIGTERM: finish the requests in flight, then stop
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("serve: shutdown: %w", err)
		}
		fmt.Fprintln(stdout, "stopped")
		return nil
	}
}

// listenError explains why --addr could not be listened on: an address in use (another server:
// pick another port), or one that is not HOST:PORT.
func listenError(err error, addr string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("serve: %w (another server is using %s: pick another with --addr)", err, addr)
	}
	if _, _, splitErr := net.SplitHostPort(addr); splitErr != nil {
		return fmt.Errorf("serve: --addr %q is not HOST:PORT (for example 127.0.0.1:8080, or :8080 for every interface): %v", addr, splitErr)
	}
	return fmt.Errorf("serve: cannot listen on %s: %w (check the host and port of --addr)", addr, err)
}
