package notify

import (
	"bytes"
	"fmt"
	"time"

	"github.com/mailtower/mailtower/milter"
)

// composeOutbound writes the alert to a domain's admin that an
// authenticated user's outbound mail was held as spam: who sent it, to
// whom, the subject and score, the quarantine id and what to do. Like a
// virus notice it carries none of the message's content.
func composeOutbound(n milter.VirusNotice, to, hostname string, now time.Time) []byte {
	var b bytes.Buffer
	writeHeader(&b, to, hostname, "Outgoing spam held from "+oneLine(n.User, 120), "outbound-alert."+n.QueueID, now)
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	line("A message sent through the gateway by the logged-in user %s was judged", oneLine(n.User, 200))
	line("to be spam. It was NOT sent: it is held in the quarantine, and the sender was")
	line("told \"550 5.7.1 Message held as suspected spam and not sent\".")
	line("")
	line("  User (login):   %s", oneLine(n.User, 200))
	line("  Sender:         %s", oneLine(n.Sender, 200))
	line("  Subject:        %s", oneLine(n.Subject, 200))
	line("  Spam score:     %.1f", n.Score)
	line("  Date:           %s", n.Date.Format(time.RFC1123Z))
	line("  Queue ID:       %s", oneLine(n.QueueID, 60))
	if n.QuarantineID != "" {
		line("  Quarantine ID:  %s", n.QuarantineID)
	}
	line("  Recipients:")
	for i, r := range n.Recipients {
		if i == maxListed {
			line("    ... and %d more", len(n.Recipients)-maxListed)
			break
		}
		line("    %s", oneLine(r, 200))
	}
	line("")
	line("If the user did not send this, the password may be stolen: change it")
	line("(mailtower user passwd %s) and check the user's computer.", oneLine(n.User, 200))
	line("If the message is legitimate, the gateway's administrator can send it on:")
	line("  mailtower quarantine release %s", n.QuarantineID)
	line("")
	line("This is the only alert about this user for the next hour; more held")
	line("messages are in the quarantine and the mail log (\"outbound spam held\").")
	line("After several held messages in an hour the user's mail is deferred.")
	return b.Bytes()
}
