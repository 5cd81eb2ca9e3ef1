package postfixconf

// verifyLines are the main.cf lines of recipient checks by callout
// (`domain set D --verify-recipients callout`, docs/callout.md). The
// policy daemon answers reject_unverified_recipient, a restriction name
// that access(5) allows as an action, for a recipient of such a domain
// that is neither a user nor an alias, after its own checks (block rules,
// size); Postfix's verify(8) then asks the customer's server with a probe
// that stops after RCPT and caches the answer. A domain switched to
// callout needs no reload: only these parameters, the same for every
// domain, are in main.cf.
var verifyLines = []string{
	"# Recipient checks by callout (`domain set D --verify-recipients callout`): the",
	"# policy daemon answers reject_unverified_recipient for a recipient that is neither",
	"# a user nor an alias, and verify(8) asks the customer's server (a probe that stops",
	"# after RCPT). A refused recipient gets 550; a server that is down, greylists or",
	"# answers 4xx gets 450 (defer_if_permit), never a rejection.",
	"unverified_recipient_reject_code = 550",
	"unverified_recipient_defer_code = 450",
	"unverified_recipient_tempfail_action = defer_if_permit",
	"unverified_recipient_reject_reason = Recipient address unknown",
	"# The probe's sender: Postfix's double-bounce address, whose bounces Postfix",
	"# discards, so a probe never causes mail to a real person. Servers that refuse",
	"# the null sender <> still take it.",
	"address_verify_sender = $double_bounce_sender",
	"# The answers are cached (verify(8)'s map): a known recipient for 7 days,",
	"# re-probed in the background after 12 hours; an unknown one for 1 day,",
	"# re-probed after 1 hour, so a new mailbox is accepted within the hour.",
	"address_verify_map = btree:$data_directory/verify_cache",
	"address_verify_positive_expire_time = 7d",
	"address_verify_positive_refresh_time = 12h",
	"address_verify_negative_cache = yes",
	"address_verify_negative_expire_time = 1d",
	"address_verify_negative_refresh_time = 1h",
}
