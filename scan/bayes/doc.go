// Package bayes is mailtower's built-in learning spam engine: a
// tokenizer, a token store in the shared SQLite database, and a
// Robinson/Fisher chi-square classifier as in SpamBayes and bogofilter.
//
// # Tokens
//
// Tokenize turns one message (walked by package mimewalk) into a set of
// features: header tokens prefixed with the header's name (subject:,
// from:, to:, received:, content-type:, x-mailer:, ...), the words of the
// decoded text of text/plain and text/html parts (HTML reduced to its
// visible text), URLs and their hosts, attachment names and types. A
// token counts once per message, and a message yields at most MaxTokens
// of them, so hostile input cannot make learning or scanning unbounded.
// Tokens are stored as 64-bit FNV-1a hashes.
//
// # Per-token probability (Robinson)
//
// With nspam and nham learned messages, and a token seen in s spam and h
// ham messages:
//
//	p(w) = (s/nspam) / (s/nspam + h/nham)
//	f(w) = (S·X + n·p(w)) / (S + n)          n = s + h
//
// S (Params.S, default 0.45) is the strength given to the prior X
// (Params.X, default 0.5) for rarely seen tokens; a never-seen token has
// f(w) = X. Both are SpamBayes' defaults (unknown_word_strength,
// unknown_word_prob).
//
// # Combination (Fisher, chi-square)
//
// Only tokens with |f(w) − 0.5| ≥ MinDev (default 0.1, SpamBayes'
// minimum_prob_strength) are used, at most MaxDiscriminators (default
// 300; SpamBayes uses 150) of them, the strongest first. With those n tokens:
//
//	S = 1 − C⁻¹(−2 Σ ln (1−f(w)), 2n)   evidence for spam
//	H = 1 − C⁻¹(−2 Σ ln f(w),     2n)   evidence for ham
//	P = (1 + S − H) / 2
//
// where C⁻¹(χ², ν) is the probability that a chi-square variable with ν
// degrees of freedom exceeds χ² (Fisher's method of combining
// probabilities; Robinson, "A statistical approach to the spam problem",
// Linux Journal 2003). P near 1 is spam, near 0 ham, near 0.5 unsure.
//
// # Score
//
// The Scanner maps P to points on SpamAssassin's scale through bands named
// like SpamAssassin's BAYES_xx rules (see Bands), so that its score sums
// sensibly with spamd's and compares with the level thresholds
// settings.SpamThresholds {12, 8, 5, 3.5, 2.5}. It reports nothing until
// at least MinSpam spam and MinHam ham messages are learned.
//
// # Learning
//
// A learned message is keyed by Digest, a SHA-256 of its normalised
// content (see digest.go), and its token hashes are kept with it: learning
// the same message again changes nothing, learning it as the other class
// moves its counts, and Forget removes them exactly, whatever tokenizer
// version learned it.
package bayes
