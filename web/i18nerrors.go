package web

import (
	"net/http"
	"regexp"
)

// Dutch for the refusals a form gets: the settings checks' error texts
// (the same as the CLI's, in English) are rewritten part by part with
// the patterns below; a text no pattern knows stays English.

// dutchErrors rewrite parts of an English error text (regexp
// replacement syntax).
var dutchErrors = []struct {
	re *regexp.Regexp
	nl string
}{
	{regexp.MustCompile(`spam level "([^"]*)": want 1 to 5`), `spamniveau "$1": kies 1 tot en met 5`},
	{regexp.MustCompile(`size "([^"]*)": want a positive size such as 25MB`), `grootte "$1": geef een positieve grootte zoals 25MB`},
	{regexp.MustCompile(`action "([^"]*)": want (.*)$`), `actie "$1": kies uit $2`},
	{regexp.MustCompile(`virus notification "([^"]*)": want none, recipient, admin or both`), `virusmelding "$1": kies none, recipient, admin of both`},
	{regexp.MustCompile(`duration "([^"]*)": want e\.g\. 7d, 36h, 90m`), `duur "$1": bijvoorbeeld 7d, 36h, 90m`},
	{regexp.MustCompile(`retention (\S+) for (\S+): must be at least 1h`), `bewaartermijn $1 voor $2: minstens 1h`},
	{regexp.MustCompile(`^(spam|virus|content) retention: `), `bewaartermijn $1: `},
	{regexp.MustCompile(`relay network "([^"]*)": want a CIDR such as 192\.0\.2\.0/24`), `relaynetwerk "$1": geef een CIDR zoals 192.0.2.0/24`},
	{regexp.MustCompile(`relay network (\S+) is broader than /(\d+): every client in it may send mail as the domain and relay it anywhere`),
		`relaynetwerk $1 is ruimer dan /$2: elke client daarin kan mail versturen namens het domein en overal heen laten doorsturen`},
	{regexp.MustCompile(`; only an admin can accept a network this broad`), `; alleen een beheerder kan zo'n ruim netwerk accepteren`},
	{regexp.MustCompile(`; tick the box to accept it anyway`), `; vink het vakje aan om het toch te accepteren`},
	{regexp.MustCompile(`mirror days "([^"]*)": want 1 to (\d+), or 0 to turn the mirror off`), `spiegeldagen "$1": kies 1 tot en met $2, of 0 om de spiegel uit te zetten`},
	{regexp.MustCompile(`^mirror key: `), `spiegelsleutel: `},
	{regexp.MustCompile(`^escrow key: `), `escrowsleutel: `},
	{regexp.MustCompile(`this is a secret key: give the public key \(age1…\), and keep the secret key away from the gateway`),
		`dit is een geheime sleutel: geef de publieke sleutel (age1…) en houd de geheime sleutel weg van de gateway`},
	{regexp.MustCompile(`age key "([^"]*)": want a public key such as (\S+):.*$`), `age-sleutel "$1": geef een publieke sleutel zoals $2`},
	{regexp.MustCompile(`the mirror needs the customer's public key \(age1…, from age-keygen\)`), `de spiegel heeft uw publieke sleutel nodig (age1…, van age-keygen)`},
	{regexp.MustCompile(`recipient check "([^"]*)": want list \(users and aliases\) or callout \(ask the customer's server\)`),
		`ontvangercontrole "$1": kies list (gebruikers en aliassen) of callout (uw mailserver vragen)`},
	{regexp.MustCompile(`(\S+) is not an address of (\S+)`), `$1 is geen adres van $2`},
	{regexp.MustCompile(`: already exists$`), `: bestaat al`},
	{regexp.MustCompile(`^unknown sort$`), `onbekende sortering`},
}

// localError is err's text in lang.
func localError(lang string, err error) string {
	msg := err.Error()
	if lang != "nl" {
		return msg
	}
	if v, ok := dutch[msg]; ok {
		return v
	}
	for _, p := range dutchErrors {
		msg = p.re.ReplaceAllString(msg, p.nl)
	}
	return msg
}

// plainError answers with a plain-text error in the request's language
// (for answers outside the page layout, such as an expired form).
func plainError(w http.ResponseWriter, r *http.Request, text string, code int) {
	http.Error(w, tr(pickLang(r), text), code)
}
