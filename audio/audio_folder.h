// A folder of spoken words as a dataset of one-channel cochleagram images:
// root/<word>/*.wav (the layout of Speech Commands and of
// scripts/make_speech_words.sh), one class per sub-folder (sorted by name;
// folders starting with '_' or '.' such as _background_noise_ are not classes).
//
// Each file is read (libsndfile), resampled to the cochleagram's audio rate
// (libsoxr), cut or zero-padded to `duration_s` at a seeded offset, optionally
// mixed with noise at a seeded SNR, scaled to `rms`, and turned into a
// cochleagram (audio/cochleagram.h) of num_filters x duration_s * envelope_rate.
// The compressed values are stored as uint8 pixels, round(255 * min(c /
// max_level, 1)), so the word task reuses the image pipeline (normalisation,
// batching, every architecture); the quantisation step (1/255 of max_level) is
// below the cochleagram's own floor-to-peak resolution that matters for words.
// Cochleagrams are computed once per split and kept in memory, and cached on
// disk keyed by the options and every file's path, size and modification time,
// so later runs on the same folder (a sweep) skip the computation.
//
// Splits: Speech Commands' hash of the speaker (audio/word_split.h) or the
// folder's validation_list.txt / testing_list.txt. The test split is the
// testing set; the validation set is left out (the trainer has train and test).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "audio/cochleagram.h"
#include "images/datasets.h"

namespace lrid {

struct AudioFolderOptions {
  std::string root;
  double duration_s = 1.0;           // clip length
  double rms = 0.05;                 // each clip's RMS level before the cochleagram
  std::string split = "hash";        // "hash" (speaker hash) or "lists" (validation_list.txt, testing_list.txt)
  double validation_percent = 10, test_percent = 10;  // split: hash
  std::string noise = "none";        // "none", "white", or "background" (root/_background_noise_/*.wav)
  double noise_prob = 1.0;           // fraction of clips that get noise
  double snr_min_db = 0, snr_max_db = 20;  // the SNR is drawn uniformly from this range
  bool noise_on_test = false;        // also mix noise into the test split
  double max_level = 1.0;            // compressed value stored as pixel 255
  int64_t seed = 0;                  // crop/pad offsets and noise draws
  std::string cache_dir;             // "": ${LRID_CACHE:-~/.cache/lrid}/cochleagrams; "none": no disk cache
  CochleagramOptions cochleagram;    // audio rate 20 kHz, 50 filters 20 Hz-8 kHz, 200 Hz envelopes, power 0.3
};

// ConfigError naming the parameter for an invalid option (before any file is read).
void validate(const AudioFolderOptions& o);

struct WordFile {
  std::string relative;  // "<word>/<file>", as in Speech Commands' lists
  int64_t label = 0;
};
struct WordFolder {
  std::vector<std::string> words;         // class names, sorted
  std::vector<WordFile> train, test;      // each ordered by a hash of `relative` (classes interleaved)
  std::vector<std::string> noise_files;   // root/_background_noise_/*.wav, sorted
};
// Lists the folder; DataError naming the folder for no word folders, a word
// folder without audio files, or a split left empty.
WordFolder list_word_folder(const AudioFolderOptions& o);

// The uint8 cochleagram image [1, num_filters, frames] of one file (tests and tools).
// `noise`: background recordings at the cochleagram's rate (empty: white noise).
torch::Tensor word_image(const AudioFolderOptions& o, const std::string& relative, bool add_noise,
                         const std::vector<std::vector<float>>& noise = {});

ImageData load_audio_folder(const AudioFolderOptions& o);

}  // namespace lrid
