package tsp

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// The direct encoding of a TSTInfo is asn1.Marshal's, for what the
// authority issues and for every field a test or a misbehaving TSA sets.
func TestTSTInfoMarshalIsASN1Marshal(t *testing.T) {
	base := issuedTSTInfo(t, big.NewInt(7))
	highBit := new(big.Int).Lsh(big.NewInt(1), 127)
	cases := map[string]func(*tstInfo){
		"issued":          func(*tstInfo) {},
		"no-nonce":        func(tst *tstInfo) { tst.Nonce = nil },
		"zero-nonce":      func(tst *tstInfo) { tst.Nonce = new(big.Int) },
		"negative-nonce":  func(tst *tstInfo) { tst.Nonce = big.NewInt(-129) },
		"high-bit-serial": func(tst *tstInfo) { tst.SerialNumber = highBit },
		"negative-serial": func(tst *tstInfo) { tst.SerialNumber = big.NewInt(-1) },
		"no-accuracy":     func(tst *tstInfo) { tst.Accuracy = accuracy{} },
		"accuracy-millis": func(tst *tstInfo) { tst.Accuracy = encodeAccuracy(1500 * time.Microsecond) },
		"accuracy-all": func(tst *tstInfo) {
			tst.Accuracy = encodeAccuracy(2*time.Second + 3*time.Millisecond + 4*time.Microsecond)
		},
		"ordering":     func(tst *tstInfo) { tst.Ordering = true },
		"version-2":    func(tst *tstInfo) { tst.Version = 2 },
		"no-params":    func(tst *tstInfo) { tst.MessageImprint.HashAlgorithm.Parameters = asn1.RawValue{} },
		"no-tsa":       func(tst *tstInfo) { tst.TSA = asn1.RawValue{} },
		"fraction":     func(tst *tstInfo) { tst.GenTime, _ = encodeGenTime(time.Now(), time.Microsecond) },
		"other-policy": func(tst *tstInfo) { tst.Policy = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 9, 100000} },
		"long-imprint": func(tst *tstInfo) { tst.MessageImprint.HashedMessage = bytes.Repeat([]byte{1}, 300) },
		"empty-raw-bytes": func(tst *tstInfo) {
			tst.TSA = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: []byte{}}
		},
		"high-tag": func(tst *tstInfo) {
			tst.TSA = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 40, Bytes: []byte{1}}
		},
		"extension": func(tst *tstInfo) {
			tst.Extensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3}, Value: []byte{5, 0}}}
		},
		"fail/no-serial":      func(tst *tstInfo) { tst.SerialNumber = nil },
		"fail/invalid-policy": func(tst *tstInfo) { tst.Policy = asn1.ObjectIdentifier{7} },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			tst := *base
			change(&tst)
			want, wantErr := asn1.Marshal(tst)
			got, err := tst.marshal()
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("marshal:\n%x, %v\nasn1.Marshal:\n%x, %v", got, err, want, wantErr)
			}
		})
	}
	// Random serial numbers, nonces and accuracies, as the authority makes them.
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		tst := *base
		tst.SerialNumber = new(big.Int).SetUint64(rnd.Uint64())
		tst.Nonce = new(big.Int).Lsh(new(big.Int).SetUint64(rnd.Uint64()), rnd.UintN(64))
		if rnd.UintN(2) == 0 {
			tst.Nonce.Neg(tst.Nonce)
		}
		tst.Accuracy = encodeAccuracy(time.Duration(rnd.Int64N(int64(10 * time.Second))))
		want, err := asn1.Marshal(tst)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tst.marshal(); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%+v:\nmarshal:\n%x, %v\nasn1.Marshal:\n%x", tst, got, err, want)
		}
	}
}

// BenchmarkTSTInfoMarshal compares the direct encoding with asn1.Marshal's
// in one binary, so that a loaded machine slows both alike.
//
//	go test ./internal/tsp -run '^$' -bench TSTInfoMarshal -benchmem
func BenchmarkTSTInfoMarshal(b *testing.B) {
	tst := issuedTSTInfo(b, nil)
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tst.marshal(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("asn1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := asn1.Marshal(*tst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// issuedTSTInfo is the TSTInfo an authority issues for a request with nonce.
func issuedTSTInfo(tb testing.TB, nonce *big.Int) *tstInfo {
	tb.Helper()
	tst, _, err := newEnv(tb, "p256", false).auth.prepare(context.Background(), &request{Version: 1, MessageImprint: imprintOf(tb, "x"), Nonce: nonce})
	if err != nil {
		tb.Fatal(err)
	}
	return tst
}
