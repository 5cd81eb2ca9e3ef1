// Package smtpreply holds the SMTP replies mailtower's front-ends give:
// a typed reply (code, enhanced code, short stable text) shared by the
// milter (at DATA) and the policy daemon (at RCPT). Details for the admin
// belong in the log line with the queue id, never in the reply text.
package smtpreply

import "fmt"

// Reply is one SMTP reply: basic code, enhanced status code and text.
type Reply struct {
	Code     int    // basic reply code, e.g. 451
	Enhanced string // enhanced status code, e.g. "4.7.1"
	Text     string // short, stable text shown to the sending server
}

// String is the reply as written on the wire after the code:
// "4.7.1 text" (the milter adds the code itself).
func (r Reply) String() string { return r.Enhanced + " " + r.Text }

// Line is the full reply line "451 4.7.1 text", as a policy daemon answers.
func (r Reply) Line() string { return fmt.Sprintf("%d %s", r.Code, r.String()) }

// TempFail is the milter's answer whenever mailtower cannot decide
// safely: the sending server keeps the message and retries.
var TempFail = Reply{451, "4.7.1", "Message could not be scanned now, please try again later"}

// Busy is the milter's answer when too many messages are being scanned
// at once (milter.Limit): the sending server retries later.
var Busy = Reply{451, "4.3.2", "Too many messages being scanned, please try again later"}

// OverSize rejects a message over every recipient's size limit (at DATA).
var OverSize = Reply{552, "5.3.4", "Message size exceeds the limit of its recipients"}

// OverSizeFor rejects one recipient whose size limit the announced size
// exceeds (at RCPT).
func OverSizeFor(rcpt string) Reply {
	return Reply{552, "5.3.4", fmt.Sprintf("Message size exceeds the limit for <%s>", rcpt)}
}

// Greylisted defers a first delivery attempt for secs seconds.
func Greylisted(secs int) Reply {
	return Reply{450, "4.7.1", fmt.Sprintf("Greylisted, please try again in %d seconds", secs)}
}

// SendLimit defers a message from an authenticated user who sent
// [sasl] messages_per_hour messages in the last hour (at RCPT): a stolen
// password must not turn into thousands of spam messages.
func SendLimit() Reply {
	return Reply{450, "4.7.1", "Sending rate limit reached, please try again later"}
}

// OutboundSpam refuses, at end of DATA, an authenticated user's message
// whose outside recipients' copy was judged spam: the copy is held in the
// quarantine for the domain's admin, who was alerted. Permanent, so that
// the mail program tells the user at once instead of retrying.
var OutboundSpam = Reply{550, "5.7.1", "Message held as suspected spam and not sent; your administrator has been notified"}

// HeldSpamLimit defers the mail of an authenticated user whose messages
// were held as spam [sasl] held_per_hour times in the last hour (at RCPT):
// a compromised account is stopped until an admin looks.
func HeldSpamLimit() Reply {
	return Reply{450, "4.7.1", "Sending suspended: recent messages were held as spam, please contact your administrator"}
}

// UserUnknown rejects a recipient of a non-catch-all domain that is
// neither a user nor an alias (at RCPT).
func UserUnknown(rcpt string) Reply {
	return Reply{550, "5.1.1", fmt.Sprintf("<%s>: User unknown", rcpt)}
}

// RelayDenied rejects a recipient outside the served domains from a relay
// network whose sender is not of the network's domain (at RCPT).
func RelayDenied(sender, client string) Reply {
	return Reply{554, "5.7.1", fmt.Sprintf("Relay not permitted for sender <%s> from %s", sender, client)}
}

// Blocked rejects a recipient by a block rule (at RCPT). what names the
// blocked party ("Sender <a@b>", "Client 192.0.2.1", "Sender domain b");
// the rule is named so that the sender's admin can ask the right person
// (docs/policyd.md documents this text).
func Blocked(what string, id int64, kind, value, scope string) Reply {
	return Reply{550, "5.7.1", fmt.Sprintf("%s is blocked by rule %d (%s %s, scope %s)", what, id, kind, value, scope)}
}

// Postfix policy actions other than a reply line (SMTPD_POLICY_README,
// access(5)), as the policy daemon writes them after "action=".
const (
	// Dunno lets Postfix's next restriction decide.
	Dunno = "DUNNO"
	// Permit permits the recipient.
	Permit = "OK"
	// DeferIfPermit is the policy daemon's temporary failure (malformed
	// request, internal error): the client retries later, and an error
	// never permits anything.
	DeferIfPermit = "DEFER_IF_PERMIT Service temporarily unavailable"
	// VerifyRecipient makes Postfix check the recipient with the
	// customer's server (verify(8) and its cache): a restriction name,
	// which access(5) allows as an action. Postfix answers
	// unverified_recipient_reject_code (550) for a recipient the server
	// refused, and defers (450) while the server is down, greylists or
	// answers 4xx (docs/callout.md).
	VerifyRecipient = "reject_unverified_recipient"
)
