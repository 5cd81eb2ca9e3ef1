package milter

import (
	"testing"
)

func TestTagSubject(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		changed        bool
		decoded        string
	}{
		{"plain", " Hello", " *** SPAM *** Hello", true, "*** SPAM *** Hello"},
		{"no leading space", "Hello", " *** SPAM *** Hello", true, "*** SPAM *** Hello"},
		{"empty", "", " *** SPAM ***", true, "*** SPAM ***"},
		{"already tagged", " *** SPAM *** Hello", " *** SPAM *** Hello", false, "*** SPAM *** Hello"},
		{"encoded utf-8", " =?UTF-8?B?R3LDvMOfZQ==?=", " *** SPAM *** =?UTF-8?B?R3LDvMOfZQ==?=", true, "*** SPAM *** Grüße"},
		{"encoded latin1 q", " =?ISO-8859-1?Q?Gr=FC=DFe?=", " *** SPAM *** =?ISO-8859-1?Q?Gr=FC=DFe?=", true, "*** SPAM *** Grüße"},
		{"tag inside encoded word", " =?UTF-8?Q?***_SPAM_***_Hi?=", " =?UTF-8?Q?***_SPAM_***_Hi?=", false, "*** SPAM *** Hi"},
		{"folded", " a very long\r\n subject", " *** SPAM *** a very long\r\n subject", true, "*** SPAM *** a very long subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := tagSubject(tc.in, SpamTag)
			if got != tc.want || changed != tc.changed {
				t.Fatalf("tagSubject(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
			}
			if d := decodeSubject(got); d != tc.decoded {
				t.Fatalf("decoded %q, want %q", d, tc.decoded)
			}
			// Tagging twice never doubles the tag.
			if again, changed := tagSubject(got, SpamTag); changed || again != got {
				t.Fatalf("second tagging changed %q to %q", got, again)
			}
		})
	}
}

func TestContentTagIsDistinct(t *testing.T) {
	got, changed := tagSubject(" *** SPAM *** x", ContentTag)
	if !changed || got != " *** CF *** *** SPAM *** x" {
		t.Fatalf("got %q %v", got, changed)
	}
}
