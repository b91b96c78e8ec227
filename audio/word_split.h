// Which split a file of a spoken-word folder belongs to, as Speech Commands
// assigns them, so that a user's copy of that corpus splits exactly as its
// authors' (Warden 2018, input_data.py `which_set`): the speaker id is the file
// name up to `_nohash_`; the last 27 bits of its SHA-1 (OpenSSL's libcrypto)
// give a percentage, and validation takes [0, validation_percent), testing the
// next test_percent, training the rest. Every utterance of a speaker lands in
// one split. The folder's own validation_list.txt and testing_list.txt may
// replace the hash (split: lists).
#pragma once
#include <set>
#include <string>

namespace lrid {

enum class WordSet { kTraining, kValidation, kTesting };

// The file name's speaker id: its base name up to "_nohash_" (all of it when absent).
std::string speaker_id(const std::string& path);
// Speech Commands' percentage in [0, 100] of a speaker id: (SHA-1 as a big-endian
// integer mod 2^27) * 100 / (2^27 - 1).
double speaker_percentage(const std::string& speaker);
WordSet hash_set(const std::string& path, double validation_percent, double test_percent);

// The relative paths ("word/file.wav") a list file names, one per line; DataError
// naming the file when it cannot be read.
std::set<std::string> read_file_list(const std::string& path);

}  // namespace lrid
