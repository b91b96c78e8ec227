#!/usr/bin/env bash
# A synthetic spoken-word set in the layout of Google Speech Commands, spoken by
# Debian's espeak-ng (no speech corpus needed). It is NOT Speech Commands: the
# words are the same, the voices are a formant synthesiser's.
#
#   scripts/make_speech_words.sh [--out DIR] [--seed N] [--per-word N] [--speakers N]
#                                [--words "yes no ..."] [--jobs N]
#
#   --out DIR       where the set goes (default: $LRID_CACHE/data/speech_words_seed<seed>,
#                   LRID_CACHE defaulting to ~/.cache/lrid as in scripts/setup.sh)
#   --seed N        every random choice derives from it (default 0)
#   --per-word N    utterances per word (default 300)
#   --speakers N    size of the synthetic speaker pool (default 200)
#   --words "..."   the words, lower case [a-z0-9_-] (default: the 35 words of Speech Commands v2)
#   --jobs N        words synthesised in parallel (default: nproc); the output does not depend on it
#
# Layout: DIR/<word>/<speaker>_nohash_<n>.wav (16-bit mono PCM at espeak-ng's 22050 Hz;
# <n> counts a speaker's repetitions of that word), DIR/validation_list.txt and
# DIR/testing_list.txt (whole speakers, about 10% each, Speech Commands format),
# DIR/README.txt and DIR/MANIFEST.sha256 (sha256 of every other file; written last,
# it marks the set complete). The set is built in a temporary folder beside DIR and
# renamed into place, so an interrupted run leaves nothing half made; a complete DIR
# made with the same settings is kept as it is.
#
# Determinism: same settings and espeak-ng version => byte-identical files. Every
# random draw is a field of sha256("lrid-speech-words|v1|<seed>|<what>|..."), hex
# digits read as integers (no shell or awk PRNG, whose sequences differ between
# implementations). A speaker is one (accent voice, variant, pitch, speed, pitch
# range, loudness) draw; its id is the first 8 hex digits of sha256 of those
# settings, so splitting by a hash of the part before "_nohash_" (as Speech
# Commands readers do) keeps a speaker in one split. Each utterance picks a
# speaker from the pool and jitters speed, pitch and amplitude a little.
set -euo pipefail

log() { printf '[speech-words] %s\n' "$*" >&2; }
die() { printf '[speech-words] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '6,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

CACHE=${LRID_CACHE:-$HOME/.cache/lrid}
DEFAULT_WORDS="backward bed bird cat dog down eight five follow forward four go happy house
  learn left marvin nine no off on one right seven sheila six stop three tree two up visual wow
  yes zero"
GEN=v1   # bump when a change to this script changes the files it writes
# English voices of espeak-ng (not the mbrola ones, which need mbrola and its data).
VOICES=(en en-us en-gb-x-rp en-gb-scotland en-gb-x-gbclan en-gb-x-gbcwmd en-029 en-us-nyc)
# Voice variants (espeak-ng-data/voices/!v) that sound like a person: the robot,
# heavy-echo, chipmunk, unvoiced and novelty ones are left out, as are near-duplicates
# and those that clip at any amplitude (antonio, ed, Jacky, paul).
VARIANTS=(m1 m2 m3 m4 m5 m6 m7 m8 f1 f2 f3 f4 f5 klatt klatt2 klatt3 klatt4 klatt5
          Alex Alicia Andrea Andy Annie Denis Diogo Gene Henrique Hugo Lee Mario
          Michael Mike Nguyen adam anika aunty belinda benjamin david edward
          grandma grandpa gustave linda marcelo max michel miguel pedro quincy rob
          robert sandro shelby steph travis victor whisper whisperf)

out="" seed=0 per_word=300 speakers=200 words=$DEFAULT_WORDS jobs=$(nproc)
need_value() { (($# >= 2)) || die "option $1 needs a value (see --help)"; }
while (($#)); do
  case $1 in
    --out) need_value "$@"; out=$2; shift 2 ;;
    --seed) need_value "$@"; seed=$2; shift 2 ;;
    --per-word) need_value "$@"; per_word=$2; shift 2 ;;
    --speakers) need_value "$@"; speakers=$2; shift 2 ;;
    --words) need_value "$@"; words=$2; shift 2 ;;
    --jobs) need_value "$@"; jobs=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $seed =~ ^[0-9]{1,18}$ ]] || die "--seed must be a non-negative integer, got '$seed'"
seed=$((10#$seed))
positive() {  # positive OPTION VALUE: VALUE as a decimal integer in [1, 999999]
  [[ $2 =~ ^[0-9]{1,6}$ ]] && ((10#$2 > 0)) || die "$1 must be a positive integer, got '$2'"
  echo $((10#$2))
}
per_word=$(positive --per-word "$per_word")
speakers=$(positive --speakers "$speakers")
jobs=$(positive --jobs "$jobs")
read -r -a WORDS <<<"${words//$'\n'/ }"
((${#WORDS[@]})) || die "--words is empty"
declare -A seen_word=()
for w in "${WORDS[@]}"; do
  [[ $w =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "word '$w': words are folder names, lower case [a-z0-9_-], not starting with _ or -"
  [[ -z ${seen_word[$w]:-} ]] || die "word '$w' is listed twice"
  seen_word[$w]=1
done
out=${out:-$CACHE/data/speech_words_seed$seed}
SETTINGS="generator=$GEN seed=$seed per-word=$per_word speakers=$speakers words=${WORDS[*]}"

command -v espeak-ng >/dev/null \
  || die "espeak-ng not found: install it with 'sudo apt-get install espeak-ng' (or run scripts/setup.sh)"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
ESPEAK_VERSION=$(espeak-ng --version | sed -n 's/^eSpeak NG text-to-speech: \([^ ]*\).*/\1/p' | head -1)
[[ -n $ESPEAK_VERSION ]] || die "espeak-ng --version printed no version: is espeak-ng working?"

# An existing complete set with the same settings is kept; anything else at OUT is left alone.
if [[ -e $out ]]; then
  [[ -f $out/MANIFEST.sha256 && -f $out/README.txt ]] \
    || die "$out exists but holds no complete set (no MANIFEST.sha256): remove it or choose another --out"
  grep -qxF "settings: $SETTINGS" "$out/README.txt" \
    || die "$out holds a set made with other settings ($(sed -n 's/^settings: //p' "$out/README.txt" | cut -c1-80)...): remove it or choose another --out"
  log "$out is complete ($(grep -c . "$out/MANIFEST.sha256") files in MANIFEST.sha256): nothing to do"
  exit 0
fi

# Every voice and variant must exist: a missing one would silently change the set.
have_voices=$(espeak-ng --voices=en | awk 'NR > 1 {print $2}')
for v in "${VOICES[@]}"; do
  grep -qxF "$v" <<<"$have_voices" || die "espeak-ng has no voice '$v' (espeak-ng-data incomplete?)"
done
have_variants=$(espeak-ng --voices=variant | awk 'NR > 1 {sub(/^!v\//, "", $5); print $5}')
for v in "${VARIANTS[@]}"; do
  grep -qxF "$v" <<<"$have_variants" || die "espeak-ng has no voice variant '$v' (espeak-ng-data incomplete?)"
done

parent=$(dirname "$out")
mkdir -p "$parent" 2>/dev/null || die "cannot create $parent"
[[ -w $parent ]] || die "cannot write to $parent"
TMP=$(mktemp -d "$parent/.$(basename "$out").tmp.XXXXXX" 2>/dev/null) || die "cannot write to $parent"
chmod "$(printf '%o' $((0777 & ~0$(umask))))" "$TMP"  # mktemp makes it private
cleanup() {  # stop the word jobs and their espeak-ng, then remove the partial set
  local p
  for p in $(jobs -pr); do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP" 2>/dev/null || { sleep 1; rm -rf "$TMP"; }
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# hash KEY: the 64 hex digits of sha256("lrid-speech-words|GEN|seed|KEY").
hash() { local h; h=$(printf 'lrid-speech-words|%s|%s|%s' "$GEN" "$seed" "$1" | sha256sum); echo "${h:0:64}"; }
# field H I N: the I-th 8-hex-digit field of H as an integer in [0, N), in REPLY (no subshell).
field() { REPLY=$((16#${1:$((8 * $2)):8} % $3)); }
# synth FILE VOICE SPEED PITCH AMPLITUDE RANGE WORD: one utterance. The pitch range
# (percent of the voice's) is SSML; -z and no <speak> element: no pause after the word
# (inside <speak>, espeak-ng 1.51 appends up to 0.6 s of silence even with -z).
synth() {
  espeak-ng -m -z -v "$2" -s "$3" -p "$4" -a "$5" -w "$1" "<prosody range=\"$6%\">${7//[_-]/ }</prosody>"
}
# wav_ok FILE: a 16-bit mono PCM RIFF/WAVE file with a non-empty data chunk.
wav_ok() {
  local f=$1 hdr size
  size=$(stat -c %s "$f" 2>/dev/null) || return 1
  ((size > 44)) || return 1
  hdr=$(od -An -v -t x1 -N 44 "$f" | tr -d ' \n')
  # "RIFF" .... "WAVE" "fmt " 16 PCM=1 channels=1 ... bits=16 "data" size>0
  [[ ${hdr:0:8} == 52494646 && ${hdr:16:16} == 57415645666d7420 && ${hdr:40:8} == 01000100 \
     && ${hdr:68:4} == 1000 && ${hdr:72:8} == 64617461 && ${hdr:80:8} != 00000000 ]]
}

# Every word must give audio: speak it once with a plain voice and look for a non-silent sample.
for w in "${WORDS[@]}"; do
  synth "$TMP/probe.wav" en-us 175 50 100 100 "$w" 2>/dev/null || die "espeak-ng failed on word '$w'"
  wav_ok "$TMP/probe.wav" || die "espeak-ng wrote no audio for word '$w'"
  peak=$(od -An -v -t d2 -j 44 "$TMP/probe.wav" | awk '{for (i = 1; i <= NF; i++) {a = $i < 0 ? -$i : $i; if (a > m) m = a}} END {print m + 0}')
  ((peak > 1000)) || die "espeak-ng wrote silence for word '$w' (peak $peak): not a word it can say"
done
rm -f "$TMP/probe.wav"

# The speaker pool: draw i gives voice, variant, pitch (-p 20..80), base speed
# (110..230 wpm), pitch range (50..150% of the voice's) and base amplitude (45..80).
declare -a SPK_ID SPK_VOICE SPK_SPEED SPK_PITCH SPK_RANGE SPK_AMP
declare -A seen_spk=()
i=0 attempt=0
while ((i < speakers)); do
  h=$(hash "speaker|$i|$attempt")
  field "$h" 0 ${#VOICES[@]}; voice=${VOICES[REPLY]}
  field "$h" 1 ${#VARIANTS[@]}; voice+=+${VARIANTS[REPLY]}
  field "$h" 2 61; pitch=$((20 + REPLY))
  field "$h" 3 121; speed=$((110 + REPLY))
  field "$h" 4 101; range=$((50 + REPLY))
  field "$h" 5 36; amp=$((45 + REPLY))
  id=$(printf '%s' "$voice|$pitch|$speed|$range|$amp" | sha256sum); id=${id:0:8}
  if [[ -n ${seen_spk[$id]:-} ]]; then attempt=$((attempt + 1)); continue; fi  # same settings: draw again
  seen_spk[$id]=1
  SPK_ID[i]=$id SPK_VOICE[i]=$voice SPK_PITCH[i]=$pitch SPK_SPEED[i]=$speed SPK_RANGE[i]=$range SPK_AMP[i]=$amp
  i=$((i + 1)) attempt=0
done

# One word: utterance k picks speaker field(0) and jitters speed by -12..12 wpm,
# pitch by -4..4 and amplitude by -10..10. Runs in a background subshell.
make_word() {
  local w=$1 k h s n file speed pitch amp
  local -A reps=()
  set -E  # this background subshell only: name the word and command that failed
  trap 'log "error: word '"'"'$w'"'"': \"$BASH_COMMAND\" failed (line $LINENO)"' ERR
  mkdir -p "$TMP/$w"
  for ((k = 0; k < per_word; k++)); do
    h=$(hash "utterance|$w|$k")
    field "$h" 0 "$speakers"; s=$REPLY
    field "$h" 1 25; speed=$((SPK_SPEED[s] + REPLY - 12))
    field "$h" 2 9; pitch=$((SPK_PITCH[s] + REPLY - 4))
    field "$h" 3 21; amp=$((SPK_AMP[s] + REPLY - 10))
    n=${reps[$s]:-0}; reps[$s]=$((n + 1))
    file=$TMP/$w/${SPK_ID[s]}_nohash_$n.wav
    synth "$file" "${SPK_VOICE[s]}" "$speed" "$pitch" "$amp" "${SPK_RANGE[s]}" "$w" \
      || { log "error: espeak-ng failed on '$w' with voice ${SPK_VOICE[s]}"; return 1; }
    wav_ok "$file" || { log "error: espeak-ng wrote no audio for '$w' with voice ${SPK_VOICE[s]}"; return 1; }
  done
  : >"$TMP/.done/$w"
}

log "writing ${#WORDS[@]} words x $per_word utterances from $speakers speakers (seed $seed, $jobs jobs, espeak-ng $ESPEAK_VERSION) to $out"
mkdir -p "$TMP/.done"
declare -A logged=()
start=$SECONDS ndone=0 next=0 running=0
fmt_time() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
report_done() {  # one line per newly finished word, in the order of the word list
  local w el
  for w in "${WORDS[@]}"; do
    [[ -e $TMP/.done/$w && -z ${logged[$w]:-} ]] || continue
    logged[$w]=1 ndone=$((ndone + 1)) el=$((SECONDS - start))
    log "$(printf '%-9s' "$w") $per_word files ($ndone/${#WORDS[@]} words, $(fmt_time $el) elapsed, ETA $(fmt_time $((el * (${#WORDS[@]} - ndone) / ndone))))"
  done
}
while ((next < ${#WORDS[@]} || running > 0)); do
  if ((next < ${#WORDS[@]} && running < jobs)); then
    make_word "${WORDS[next]}" &
    next=$((next + 1)) running=$((running + 1))
    continue
  fi
  wait -n || die "synthesis failed (see above)"
  running=$((running - 1))
  report_done
done
report_done
rmdir "$TMP/.done" 2>/dev/null || rm -rf "$TMP/.done"

# Validation and test speakers: the pool ranked by sha256 of (seed, id); the first
# tenth validates, the next tenth tests (at least one each once there are 3 speakers).
nsplit=$(((speakers + 5) / 10)); ((nsplit == 0 && speakers >= 3)) && nsplit=1
ranked=$(for ((i = 0; i < speakers; i++)); do echo "$(hash "split|${SPK_ID[i]}") ${SPK_ID[i]}"; done \
         | LC_ALL=C sort | awk '{print $2}')
val_spk=$(head -n "$nsplit" <<<"$ranked")
test_spk=$(sed -n "$((nsplit + 1)),$((2 * nsplit))p" <<<"$ranked")
files=$(cd "$TMP" && find . -mindepth 2 -maxdepth 2 -name '*.wav' | sed 's|^\./||' | LC_ALL=C sort)
list_of() { awk 'NR == FNR {s[$1] = 1; next} {id = $0; sub(/^[^\/]*\//, "", id); sub(/_nohash_.*/, "", id)} id in s' \
              <(printf '%s\n' "$1") <(printf '%s\n' "$files"); }
list_of "$val_spk" >"$TMP/validation_list.txt"
list_of "$test_spk" >"$TMP/testing_list.txt"

# speakers.txt: every speaker of the pool, its settings and its split.
{
  echo "# id voice pitch speed_wpm pitch_range_percent amplitude split"
  for ((i = 0; i < speakers; i++)); do
    split=train
    grep -qxF "${SPK_ID[i]}" <<<"$val_spk" && split=validation
    grep -qxF "${SPK_ID[i]}" <<<"$test_spk" && split=testing
    echo "${SPK_ID[i]} ${SPK_VOICE[i]} ${SPK_PITCH[i]} ${SPK_SPEED[i]} ${SPK_RANGE[i]} ${SPK_AMP[i]} $split"
  done | LC_ALL=C sort
} >"$TMP/speakers.txt"

nfiles=$(grep -c . <<<"$files")
{
  echo "Synthetic spoken words made by espeak-ng $ESPEAK_VERSION (eSpeak NG text-to-speech) with"
  echo "lrid's scripts/make_speech_words.sh. This is NOT Google Speech Commands: the same"
  echo "folder layout and word list, but every clip is a formant synthesiser's voice."
  echo
  echo "command: scripts/make_speech_words.sh --seed $seed --per-word $per_word --speakers $speakers --words \"${WORDS[*]}\""
  echo "settings: $SETTINGS"
  echo "seed: $seed"
  echo "words (${#WORDS[@]}): ${WORDS[*]}"
  echo "utterances: $per_word per word, $nfiles in all, from a pool of $speakers speakers"
  echo "validation_list.txt: $(grep -c . "$TMP/validation_list.txt" || true) files, speakers" $val_spk
  echo "testing_list.txt: $(grep -c . "$TMP/testing_list.txt" || true) files, speakers" $test_spk
  echo "format: 16-bit mono PCM WAV, 22050 Hz, no pause after the word; <word>/<speaker>_nohash_<n>.wav"
  echo "speakers: an English espeak-ng voice (${VOICES[*]})"
  echo "  with a variant (${VARIANTS[*]}),"
  echo "  pitch -p 20..80, speed -s 110..230 wpm, pitch range 50..150%, amplitude -a 45..80;"
  echo "  each utterance jitters speed by +-12 wpm, pitch by +-4 and amplitude by +-10."
  echo "speakers.txt: each speaker's settings and split."
  echo "MANIFEST.sha256 lists the sha256 of every other file (check: sha256sum -c MANIFEST.sha256)."
} >"$TMP/README.txt"
(cd "$TMP" && { printf '%s\n' "$files"; printf '%s\n' README.txt speakers.txt testing_list.txt validation_list.txt; } \
   | LC_ALL=C sort | xargs -d '\n' sha256sum >MANIFEST.tmp && mv MANIFEST.tmp MANIFEST.sha256)

mv -T "$TMP" "$out" 2>/dev/null || die "could not rename $TMP to $out (did another run make it meanwhile?)"
trap - EXIT
log "done in $(fmt_time $((SECONDS - start))): $nfiles files, $(du -sh "$out" | cut -f1) in $out"
log "MANIFEST.sha256 sha256: $(sha256sum "$out/MANIFEST.sha256" | cut -c1-64)"
