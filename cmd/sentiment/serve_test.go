package main

import (
	"net"
	"strings"
	"testing"
)

// TestListenError: an address in use names another server; one that is not HOST:PORT says so
// and gives an example, without blaming another server.
func TestListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, err = net.Listen("tcp", addr)
	if e := listenError(err, addr); !strings.Contains(e.Error(), "another server is using "+addr) {
		t.Errorf("address in use: %v", e)
	}
	_, err = net.Listen("tcp", "nonsense")
	if e := listenError(err, "nonsense"); !strings.Contains(e.Error(), `--addr "nonsense" is not HOST:PORT`) || strings.Contains(e.Error(), "another server") {
		t.Errorf("nonsense: %v", e)
	}
}
