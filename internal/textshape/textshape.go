// Package textshape measures how a line of text looks rather than what it
// says (letter case, exclamation marks), for the Bayes tokenizer and the
// heuristics alike.
package textshape

// Shape counts the ASCII letters, capitals and '!' of a text.
type Shape struct {
	Letters, Upper, Bang int
}

// Of measures s.
func Of(s string) Shape {
	var sh Shape
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			sh.Letters++
			sh.Upper++
		case r >= 'a' && r <= 'z':
			sh.Letters++
		case r == '!':
			sh.Bang++
		}
	}
	return sh
}

// Shouting reports whether at least minLetters letters are there and at
// least percent of them are capitals.
func (s Shape) Shouting(minLetters, percent int) bool {
	return s.Letters >= minLetters && s.Upper*100 >= s.Letters*percent
}
