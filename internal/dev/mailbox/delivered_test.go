package devmailbox

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"github.com/segl/segl/internal/mailbox/digipost"
)

// The answer to a message delivered is what encoding/xml writes of it,
// whatever the message id holds.
func TestDeliveredIsEncodingXML(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC)
	for _, id := range []string{
		"7f2c1b8e-0000-4000-8000-000000000001", "", "a<b>&\"c'", "tab\tnl\ncr\r", "ünïcødé", "bad\xffutf8", "\x00\x01", "\uFFFD", "]]>", "~ !#$%()*+,-./:;=?@[\\]^_`{|}",
	} {
		var want bytes.Buffer
		if err := xml.NewEncoder(&want).Encode(digipost.Delivery{MessageID: id, Method: "DIGIPOST", Status: "DELIVERED", DeliveryTime: at}); err != nil {
			t.Fatal(err)
		}
		if got := appendDelivered(nil, id, at); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("id %q:\n got %s\nwant %s", id, got, want.Bytes())
		}
	}
}
