package web

import (
	"net/http"
	"strconv"
	"strings"
)

// The portal speaks English and Dutch. Texts are written in English in
// the templates and code; dutch maps them. The language comes from the
// switch (a cookie) or else the browser's Accept-Language.

// langCookie keeps the language chosen with the switch.
const langCookie = "__Host-mailtower-lang"

var dutch = map[string]string{
	"Log in":                   "Inloggen",
	"Log out":                  "Uitloggen",
	"Address or login":         "Adres of gebruikersnaam",
	"Password":                 "Wachtwoord",
	"Wrong login or password.": "Verkeerde gebruikersnaam of wachtwoord.",
	"Too many failed logins: wait a few minutes.": "Te vaak mislukt: wacht een paar minuten.",
	"Two-factor code": "Tweestapscode",
	"Code from your authenticator app, or a recovery code": "Code uit uw authenticator-app, of een herstelcode",
	"Wrong or already used code.":                          "Verkeerde of al gebruikte code.",
	"Verify":                                               "Controleren",
	"Set up two-factor login":                              "Tweestapsverificatie instellen",
	"Scan the code with your authenticator app, or type the key, then enter the code it shows.": "Scan de code met uw authenticator-app, of typ de sleutel, en vul de code in die de app toont.",
	"Key":            "Sleutel",
	"Recovery codes": "Herstelcodes",
	"Keep these codes somewhere safe. Each works once, when your phone is lost.": "Bewaar deze codes op een veilige plek. Elke code werkt één keer, als uw telefoon kwijt is.",
	"Continue":                       "Verder",
	"Quarantine":                     "Quarantaine",
	"Senders":                        "Afzenders",
	"Account":                        "Account",
	"Domains":                        "Domeinen",
	"Audit log":                      "Auditlog",
	"Spam":                           "Spam",
	"Virus":                          "Virus",
	"Content":                        "Inhoud",
	"Search":                         "Zoeken",
	"Received":                       "Ontvangen",
	"Sender":                         "Afzender",
	"Recipient":                      "Ontvanger",
	"Subject":                        "Onderwerp",
	"Score":                          "Score",
	"Size":                           "Grootte",
	"Next page":                      "Volgende pagina",
	"Nothing in quarantine.":         "Niets in quarantaine.",
	"Release":                        "Vrijgeven",
	"Release and allow sender":       "Vrijgeven en afzender toestaan",
	"Delete":                         "Verwijderen",
	"Release this virus anyway":      "Dit virus toch vrijgeven",
	"Headers":                        "Kopregels",
	"Text":                           "Tekst",
	"Reason":                         "Reden",
	"Released: Postfix accepted it.": "Vrijgegeven: Postfix heeft het bericht aangenomen.",
	"Deleted.":                       "Verwijderd.",
	"A virus cannot be released here. Ask your administrator.": "Een virus kan hier niet worden vrijgegeven. Vraag het uw beheerder.",
	"Allowed senders":          "Toegestane afzenders",
	"Blocked senders":          "Geblokkeerde afzenders",
	"Allow":                    "Toestaan",
	"Block":                    "Blokkeren",
	"Remove":                   "Verwijderen",
	"Add":                      "Toevoegen",
	"Saved.":                   "Opgeslagen.",
	"Change password":          "Wachtwoord wijzigen",
	"Current password":         "Huidig wachtwoord",
	"New password":             "Nieuw wachtwoord",
	"Digest":                   "Overzichtsmail",
	"Off":                      "Uit",
	"Daily":                    "Dagelijks",
	"Weekly":                   "Wekelijks",
	"Save":                     "Opslaan",
	"Two-factor login":         "Tweestapsverificatie",
	"on":                       "aan",
	"off":                      "uit",
	"Spam level":               "Spamniveau",
	"Spam action":              "Spamactie",
	"Require two-factor login": "Tweestapsverificatie verplicht",
	"Domain":                   "Domein",
	"When":                     "Wanneer",
	"Who":                      "Wie",
	"From":                     "Vanaf",
	"Action":                   "Actie",
	"Target":                   "Doel",
	"Detail":                   "Details",
	"Not found.":               "Niet gevonden.",
	"Something went wrong; the administrator can find the details in the log.": "Er ging iets mis; de beheerder vindt de details in het logboek.",
	"This link has expired. Log in to see your quarantine.":                    "Deze link is verlopen. Log in om uw quarantaine te zien.",
	"Language":   "Taal",
	"All":        "Alle",
	"Back":       "Terug",
	"Deleted by": "Verwijderd door",
	"Password too short: at least 10 characters.": "Wachtwoord te kort: minstens 10 tekens.",

	"Unreadable findings: the scan results stored with this message could not be read.": "Onleesbare bevindingen: de scanresultaten bij dit bericht konden niet worden gelezen.",
	"Error":                    "Fout",
	"From header":              "Van (kopregel)",
	"Category":                 "Categorie",
	"State":                    "Status",
	"QR code":                  "QR-code",
	"spam":                     "spam",
	"virus":                    "virus",
	"content":                  "inhoud",
	"quarantined":              "in quarantaine",
	"releasing":                "wordt vrijgegeven",
	"released":                 "vrijgegeven",
	"deleted":                  "verwijderd",
	"yes":                      "ja",
	"no":                       "nee",
	"default":                  "standaard",
	"Relay":                    "Doorsturen naar",
	"Catch-all":                "Catch-all",
	"Options":                  "Opties",
	"Users":                    "Gebruikers",
	"Aliases":                  "Aliassen",
	"No users.":                "Geen gebruikers.",
	"No aliases.":              "Geen aliassen.",
	"Add a user":               "Gebruiker toevoegen",
	"Add an alias":             "Alias toevoegen",
	"Set password":             "Wachtwoord instellen",
	"Spam filter":              "Spamfilter",
	"Filter settings":          "Filterinstellingen",
	"Virus action":             "Virusactie",
	"Virus notices":            "Virusmeldingen",
	"Largest message":          "Grootste bericht",
	"Content filter action":    "Actie inhoudsfilter",
	"Admin address":            "Beheerdersadres",
	"Keep quarantined virus":   "Virussen in quarantaine bewaren",
	"Keep quarantined spam":    "Spam in quarantaine bewaren",
	"Keep quarantined content": "Inhoudsfilter-quarantaine bewaren",
	"Empty or default: the gateway's setting, shown in brackets.":                     "Leeg of standaard: de instelling van de gateway, tussen haakjes.",
	"Empty or default: the domain's setting, shown in brackets.":                      "Leeg of standaard: de instelling van het domein, tussen haakjes.",
	"Catch-all: the mail server accepts any address (unknown senders are greylisted)": "Catch-all: de mailserver neemt elk adres aan (onbekende afzenders worden gegreylist)",
	"Users may set their own spam level and action":                                   "Gebruikers mogen zelf hun spamniveau en -actie kiezen",
	"Allowed and blocked senders for the whole domain":                                "Toegestane en geblokkeerde afzenders voor het hele domein",
	"These rules apply to every user of the domain.":                                  "Deze regels gelden voor elke gebruiker van het domein.",
	"A new password ends every session and digest link of that user.":                 "Een nieuw wachtwoord beëindigt elke sessie en elke overzichtslink van die gebruiker.",
	"Where your mail server delivers it (for your notes)":                             "Waar uw mailserver het aflevert (als notitie)",
	"Only an admin can change an admin's login.":                                      "Alleen een beheerder kan de login van een beheerder wijzigen.",
	"Relay networks": "Relaynetwerken",
	"Your own mail servers' networks: they may send outbound mail through the gateway as this domain.": "De netwerken van uw eigen mailservers: zij mogen via de gateway uitgaande mail versturen namens dit domein.",
	"No relay networks.": "Geen relaynetwerken.",
	"Add a network (CIDR such as 192.0.2.0/24, or one address)": "Netwerk toevoegen (CIDR zoals 192.0.2.0/24, of één adres)",
	"Accept a network broader than /16 (IPv4) or /48 (IPv6)":    "Een netwerk ruimer dan /16 (IPv4) of /48 (IPv6) toch accepteren",
	"MX check":                        "MX-controle",
	"Check now":                       "Nu controleren",
	"checked":                         "gecontroleerd",
	"Checked.":                        "Gecontroleerd.",
	"Not checked":                     "Niet gecontroleerd",
	"DNS did not answer":              "DNS gaf geen antwoord",
	"MX records point here":           "MX-records wijzen hierheen",
	"Mail can bypass the gateway":     "Mail kan de gateway omzeilen",
	"Mail does not reach the gateway": "Mail bereikt de gateway niet",
	"Checked a moment ago: wait a few seconds and try again.": "Zojuist gecontroleerd: wacht een paar seconden en probeer het opnieuw.",
	"Request release":                  "Vrijgave aanvragen",
	"Request release and allow sender": "Vrijgave aanvragen en afzender toestaan",
	"Release requests":                 "Vrijgaveverzoeken",
	"Requested":                        "Aangevraagd",
	"Decided by":                       "Besloten door",
	"pending":                          "wacht op besluit",
	"approved":                         "goedgekeurd",
	"denied":                           "afgewezen",
	"closed":                           "vervallen",
	"and allow sender":                 "en afzender toestaan",
	"No longer in quarantine.":         "Niet meer in quarantaine.",
	"Approve":                          "Goedkeuren",
	"Deny":                             "Afwijzen",
	"No pending release requests.":     "Geen openstaande vrijgaveverzoeken.",
	"Users request releases: an administrator of the domain approves each one": "Gebruikers vragen vrijgave aan: een beheerder van het domein keurt elk verzoek goed",
	"Release requested: an administrator of your domain decides.":              "Vrijgave aangevraagd: een beheerder van uw domein beslist.",
	"Request denied.": "Verzoek afgewezen.",
	"No longer in quarantine: the request is closed.": "Niet meer in quarantaine: het verzoek is gesloten.",
	"Pending requests":                     "Openstaande verzoeken",
	"Recipient check":                      "Ontvangercontrole",
	"List: the domain's users and aliases": "Lijst: de gebruikers en aliassen van het domein",
	"Callout: ask your mail server":        "Callout: uw mailserver vragen",
	"List: only the domain's users and aliases are accepted. Callout: the gateway asks your mail server whether an unknown address exists.": "Lijst: alleen de gebruikers en aliassen van het domein worden aangenomen. Callout: de gateway vraagt uw mailserver of een onbekend adres bestaat.",
	"Mail mirror": "Mailspiegel",
	"An encrypted copy of every delivered message, kept for replay when your server lost mail. Only the holder of the secret key can read it; the gateway keeps the public key only.": "Een versleutelde kopie van elk afgeleverd bericht, bewaard om opnieuw af te leveren als uw server mail kwijtraakte. Alleen wie de geheime sleutel heeft kan hem lezen; de gateway bewaart alleen de publieke sleutel.",
	"Days kept (0 = off)":                          "Dagen bewaren (0 = uit)",
	"at most":                                      "hoogstens",
	"Your age public key (age1…)":                  "Uw publieke age-sleutel (age1…)",
	"Operator's escrow key":                        "Escrowsleutel van de gatewaybeheerder",
	"Session expired: log in again.":               "Sessie verlopen: log opnieuw in.",
	"Form expired: reload the page and try again.": "Formulier verlopen: laad de pagina opnieuw en probeer het nog eens.",
	"Not released: another release of it is in progress. Wait a minute and reload the page.": "Niet vrijgegeven: het wordt al vrijgegeven. Wacht een minuut en laad de pagina opnieuw.",
	"Not released: its retention has expired. Ask your administrator.":                       "Niet vrijgegeven: de bewaartermijn is verstreken. Vraag het uw beheerder.",
	"Not released: it was deleted from the quarantine.":                                      "Niet vrijgegeven: het is uit de quarantaine verwijderd.",
	"Not released: its retention expired and it was removed from the quarantine.":            "Niet vrijgegeven: de bewaartermijn is verstreken en het is uit de quarantaine verwijderd.",
	"Not released: its message file is missing. Ask your administrator.":                     "Niet vrijgegeven: het berichtbestand ontbreekt. Vraag het uw beheerder.",
	"Not released: it could not be scanned again before the release. Try again later.":       "Niet vrijgegeven: het kon voor de vrijgave niet opnieuw worden gescand. Probeer het later nog eens.",
	"Not released: the gateway could not hand it to the mail server. Try again later.":       "Niet vrijgegeven: de gateway kon het niet aan de mailserver overdragen. Probeer het later nog eens.",
	// Policy settings: help texts (settings.PolicySettings) and values.
	"spam sensitivity 1 (only obvious spam) .. 5 (aggressive)":  "spamgevoeligheid 1 (alleen duidelijke spam) .. 5 (streng)",
	"quarantine, tag, delete or pass":                           "quarantaine, markeren, verwijderen of doorlaten",
	"quarantine or delete":                                      "quarantaine of verwijderen",
	"largest accepted message, e.g. 25MB":                       "grootste geaccepteerde bericht, bijv. 25MB",
	"who is told about a virus: none, recipient, admin or both": "wie een virusmelding krijgt: niemand, ontvanger, beheerder of beide",
	"admin address for virus notices":                           "beheerdersadres voor virusmeldingen",
	"quarantine":                                                "quarantaine",
	"tag":                                                       "markeren",
	"delete":                                                    "verwijderen",
	"pass":                                                      "doorlaten",
	"none":                                                      "niemand",
	"recipient":                                                 "ontvanger",
	"admin":                                                     "beheerder",
	"both":                                                      "beide",
	// The mail history pages: texts, verdicts, actions (refusal reasons
	// at RCPT too) and delivery statuses.
	"Mail history":                  "Mailgeschiedenis",
	"Verdict":                       "Oordeel",
	"Delivery":                      "Aflevering",
	"no delivery logged":            "geen aflevering gelogd",
	"Since":                         "Vanaf",
	"Until":                         "Tot en met",
	"No mail found in the history.": "Geen mail gevonden in de geschiedenis.",
	"Decided":                       "Beslist",
	"refused at RCPT, before the message was sent": "geweigerd bij RCPT, voordat het bericht werd verstuurd",
	"after the message was received":               "nadat het bericht was ontvangen",
	"Queue id":                                     "Wachtrij-id",
	"Sending server":                               "Verzendende server",
	"Recipients":                                   "Ontvangers",
	"Evidence":                                     "Bevindingen",
	"Scanner":                                      "Scanner",
	"Rule":                                         "Regel",
	"Events":                                       "Gebeurtenissen",
	"Delivery attempts":                            "Afleverpogingen",
	"Mail server":                                  "Mailserver",
	"Reply":                                        "Antwoord",
	"No delivery attempt logged (yet).":            "(Nog) geen afleverpoging gelogd.",
	"this search cannot be answered; change it and try again": "deze zoekopdracht kan niet worden beantwoord; pas hem aan en probeer opnieuw",
	"unknown verdict":     "onbekend oordeel",
	"unknown status":      "onbekende status",
	"clean":               "schoon",
	"refused":             "geweigerd",
	"reject":              "weigeren",
	"greylisted":          "greylisting",
	"unknown-user":        "onbekende gebruiker",
	"block-sender":        "afzender geblokkeerd",
	"block-sender-domain": "afzenderdomein geblokkeerd",
	"block-ip":            "IP-adres geblokkeerd",
	"size":                "te groot",
	"relay-denied":        "doorsturen niet toegestaan",
	"sent":                "afgeleverd",
	"deferred":            "uitgesteld",
	"bounced":             "teruggestuurd",
	"expired":             "verlopen",
	"notice":              "melding aan afzender",
}

// settingLabels name the policy settings (settings.PolicySettings) on
// the portal's forms.
var settingLabels = map[string]string{
	"spam-level":     "Spam level",
	"spam-action":    "Spam action",
	"virus-action":   "Virus action",
	"content-action": "Content filter action",
	"max-size":       "Largest message",
	"notify-virus":   "Virus notices",
	"admin":          "Admin address",
}

// tr translates an English text into lang.
func tr(lang, s string) string {
	if lang == "nl" {
		if v, ok := dutch[s]; ok {
			return v
		}
	}
	return s
}

// pickLang returns "nl" or "en": the switch's cookie, else the first of
// the two in Accept-Language by quality.
func pickLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "nl" || c.Value == "en") {
		return c.Value
	}
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "nl" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// setLang is the language switch (a form, so it works without script).
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if lang != "nl" && lang != "en" {
		lang = "en"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 86400,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
