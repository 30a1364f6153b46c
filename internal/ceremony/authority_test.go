package ceremony

import (
	"context"
	"testing"
	"time"

	"github.com/segl/segl/internal/registry"
)

// hangingRegister answers only when its caller gives up.
type hangingRegister struct{}

func (hangingRegister) Roles(ctx context.Context, _ string) ([]registry.Role, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestAuthorityDoesNotWaitForever: a register that does not answer leaves
// the authority unchecked instead of holding up the signer's page.
func TestAuthorityDoesNotWaitForever(t *testing.T) {
	s := &Service{Roles: hangingRegister{}}
	done := make(chan Authority, 1)
	go func() { done <- s.Authority(context.Background(), "319386416", "02859824113") }()
	select {
	case a := <-done:
		if a.Checked {
			t.Fatalf("a register that never answered was taken as checked: %+v", a)
		}
	case <-time.After(4 * authorityTimeout):
		t.Fatal("Authority waited for a register that never answers")
	}
}
