#!/usr/bin/env bash
# scripts/make_speech_words.sh on a small subset (3 words x 4 utterances, 5 speakers):
# the same seed gives byte-identical sets whatever --jobs, another seed a different
# one; every clip is a valid non-empty 16-bit mono PCM WAV; the validation and test
# lists hold whole speakers; a complete set is kept; bad input fails with one line.
#   speech_words_determinism_test.sh   (ctest: speech_words_determinism)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GEN=$ROOT/scripts/make_speech_words.sh
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
command -v espeak-ng >/dev/null \
  || fail "espeak-ng is not installed: run scripts/setup.sh (or sudo apt-get install espeak-ng)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

SUBSET=(--words "yes no marvin" --per-word 4 --speakers 5)
gen() { nice "$GEN" "${SUBSET[@]}" "$@" 2>>"$TMP/log"; }
gen --seed 7 --jobs 2 --out "$TMP/a" || { cat "$TMP/log" >&2; fail "first run"; }
gen --seed 7 --jobs 2 --out "$TMP/b" || fail "second run"
gen --seed 7 --jobs 1 --out "$TMP/c" || fail "run with --jobs 1"
gen --seed 8 --jobs 2 --out "$TMP/d" || fail "run with seed 8"

# Same seed: identical manifests and bytes, also with another --jobs.
cmp -s "$TMP/a/MANIFEST.sha256" "$TMP/b/MANIFEST.sha256" || fail "same seed, different MANIFEST.sha256"
diff -r "$TMP/a" "$TMP/b" >/dev/null || fail "same seed, different files (diff -r)"
diff -r "$TMP/a" "$TMP/c" >/dev/null || fail "--jobs 1 and --jobs 2 differ"
! cmp -s "$TMP/a/MANIFEST.sha256" "$TMP/d/MANIFEST.sha256" || fail "seeds 7 and 8 give the same set"
(cd "$TMP/a" && sha256sum --quiet -c MANIFEST.sha256) || fail "MANIFEST.sha256 does not match the files"

# Layout and WAV headers: 3 folders of 4 clips, RIFF/WAVE, PCM, mono, 16 bits, data
# chunk non-empty and consistent with the file size.
u() { od -An -v -t "u$2" -j "$1" -N "$2" "$3" | tr -d ' '; }   # u OFFSET BYTES FILE
for dir in a d; do
  for w in yes no marvin; do
    n=$(find "$TMP/$dir/$w" -name '*_nohash_*.wav' | wc -l)
    ((n == 4)) || fail "$dir/$w holds $n clips, not 4"
  done
  while IFS= read -r f; do
    size=$(stat -c %s "$f")
    [[ $(head -c 4 "$f") == RIFF && $(od -An -c -j 8 -N 8 "$f" | tr -d ' ') == WAVEfmt && \
       $(od -An -c -j 36 -N 4 "$f" | tr -d ' ') == data ]] || fail "$f: not a RIFF/WAVE file"
    (($(u 20 2 "$f") == 1 && $(u 22 2 "$f") == 1 && $(u 34 2 "$f") == 16)) \
      || fail "$f: not 16-bit mono PCM"
    (($(u 24 4 "$f") == 22050)) || fail "$f: rate $(u 24 4 "$f"), not 22050"
    data=$(u 40 4 "$f")
    ((data > 0 && data == size - 44 && $(u 4 4 "$f") == size - 8)) || fail "$f: bad sizes (data $data, file $size)"
  done < <(find "$TMP/$dir" -name '*.wav')
done

# The lists: existing files, whole speakers, no speaker in both, not empty here.
spk() { sed 's|^[^/]*/||; s|_nohash_.*||' "$@" | sort -u; }
for list in validation_list testing_list; do
  f=$TMP/a/$list.txt
  [[ -s $f ]] || fail "$list.txt is empty"
  while IFS= read -r p; do [[ -f $TMP/a/$p ]] || fail "$list.txt names a missing file $p"; done <"$f"
  for s in $(spk "$f"); do
    diff <(cd "$TMP/a" && ls -- */"${s}"_nohash_*.wav | sort) <(grep "/${s}_nohash_" "$f" | sort) >/dev/null \
      || fail "$list.txt holds part of speaker $s"
  done
done
[[ -z $(comm -12 <(spk "$TMP/a/validation_list.txt") <(spk "$TMP/a/testing_list.txt")) ]] \
  || fail "a speaker is in both validation and testing lists"

# A complete set is kept (same settings) or refused (other settings).
gen --seed 7 --out "$TMP/a" || fail "rerun on a complete set"
grep -q "nothing to do" "$TMP/log" || fail "rerun on a complete set did not skip"
diff -r "$TMP/a" "$TMP/b" >/dev/null || fail "rerun changed the set"
! nice "$GEN" --words "yes no marvin" --per-word 5 --seed 7 --out "$TMP/a" 2>/dev/null \
  || fail "a set with other settings was accepted"

# Bad input: non-zero exit, one error line, nothing left behind.
expect_error() {  # expect_error PATTERN ARGS...: the run fails with one line matching PATTERN
  local pattern=$1 err; shift
  if err=$("$@" 2>&1 >/dev/null); then fail "no error for: ${*:2}"; fi
  [[ $(grep -c . <<<"$err") == 1 && $err == *"$pattern"* ]] || fail "for ${*:2}: expected one line with '$pattern', got: $err"
}
expect_error "--per-word must be a positive integer" "$GEN" --per-word 0 --out "$TMP/e"
expect_error "--seed must be a non-negative integer" "$GEN" --seed -1 --out "$TMP/e"
expect_error "--jobs must be a positive integer" "$GEN" --jobs x --out "$TMP/e"
expect_error "unknown argument" "$GEN" --bogus
expect_error "word 'Yes'" "$GEN" --words "Yes no" --out "$TMP/e"
expect_error "listed twice" "$GEN" --words "no no" --out "$TMP/e"
touch "$TMP/file"
expect_error "cannot create" "$GEN" "${SUBSET[@]}" --out "$TMP/file/x"
mkdir "$TMP/bin" && ln -s "$(command -v nproc)" "$TMP/bin/nproc"
expect_error "apt-get install espeak-ng" env PATH="$TMP/bin" "$BASH" "$GEN" --out "$TMP/e"
[[ ! -e $TMP/e ]] || fail "a failed run left $TMP/e"
[[ -z $(find "$TMP" -maxdepth 1 -name '.*.tmp.*') ]] || fail "a run left its temporary folder"
echo "speech_words_determinism: ok ($(sha256sum "$TMP/a/MANIFEST.sha256" | cut -c1-16)...)"
