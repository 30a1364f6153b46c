package main

import (
	"slices"
	"testing"
)

// TestSignerNode: with two or more nodes a signer never uses the node that
// created the job, and a job's signers use every other node before any is
// used twice; with one node everything stays on it.
func TestSignerNode(t *testing.T) {
	for n := 1; n <= 4; n++ {
		for creator := range n {
			var used []int
			for i := range 2 * n {
				node := signerNode(creator, i, n)
				if node < 0 || node >= n || (n > 1 && node == creator) {
					t.Fatalf("signerNode(%d, %d, %d) = %d", creator, i, n, node)
				}
				if i < n-1 {
					if slices.Contains(used, node) {
						t.Fatalf("n=%d creator=%d: signer %d reuses node %d before every other node had a signer", n, creator, i, node)
					}
					used = append(used, node)
				}
			}
		}
	}
}

// TestNodeURLs: --url repeated and comma-separated add up, and what is not
// a base URL is refused.
func TestNodeURLs(t *testing.T) {
	var u nodeURLs
	for _, v := range []string{"https://127.0.0.1:1/", "https://127.0.0.1:2, https://127.0.0.1:3"} {
		if err := u.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if want := (nodeURLs{"https://127.0.0.1:1", "https://127.0.0.1:2", "https://127.0.0.1:3"}); !slices.Equal(u, want) {
		t.Errorf("--url gave %q, want %q", u, want)
	}
	for _, bad := range []string{"127.0.0.1:8443", "ftp://h", "https://"} {
		if err := new(nodeURLs).Set(bad); err == nil {
			t.Errorf("--url %q accepted", bad)
		}
	}
	got, err := onNode("https://127.0.0.1:1/sign/abc?x=1", "https://127.0.0.1:2")
	if err != nil || got != "https://127.0.0.1:2/sign/abc?x=1" {
		t.Errorf("onNode = %q, %v", got, err)
	}
}
