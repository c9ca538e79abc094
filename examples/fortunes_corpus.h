#pragma once
// The text corpus of the sequence examples: the fortune cookies of Debian's `fortunes` package
// (about 2.5 MB of English quotations, jokes and definitions in /usr/share/games/fortunes).
//
// Each collection is a plain-text file whose entries are separated by lines holding only "%";
// the binary index beside it (NAME.dat) marks it as a collection. The ASCII drawings are left out:
// they are pictures, not language. Entries are returned in a fixed order (collections by name,
// entries as in the file), so a seeded split of them is the same on every machine.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cajal/core/error.h"

namespace examples {

// Old collections underline or embolden by overstriking: "_\bA" prints an underlined A. Keeps
// the character printed last.
inline void strip_overstrikes(std::string& line) {
  std::string out;
  for (char c : line) {
    if (c == '\b') {
      if (!out.empty()) out.pop_back();
    } else {
      out += c;
    }
  }
  line = out;
}

inline std::vector<std::string> load_fortunes(
    const std::filesystem::path& directory = "/usr/share/games/fortunes") {
  namespace fs = std::filesystem;
  if (!fs::is_directory(directory)) {
    throw cajal::IOError("fortunes: " + directory.string() +
                         " does not exist; install the Debian package `fortunes` "
                         "(scripts/install-deps.sh does)");
  }
  std::vector<fs::path> collections;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
    const fs::path& path = entry.path();
    if (!entry.is_regular_file() || path.has_extension()) continue;
    if (path.filename() == "ascii-art") continue;
    if (!fs::exists(fs::path(path.string() + ".dat"))) continue;
    collections.push_back(path);
  }
  std::sort(collections.begin(), collections.end());
  std::vector<std::string> entries;
  for (const fs::path& path : collections) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw cajal::IOError("fortunes: cannot read " + path.string());
    std::string line;
    std::string entry;
    auto flush = [&] {
      // Trailing blank lines belong to no one.
      while (!entry.empty() && (entry.back() == '\n' || entry.back() == ' ')) entry.pop_back();
      if (!entry.empty()) entries.push_back(entry + "\n");
      entry.clear();
    };
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      strip_overstrikes(line);
      if (line == "%") {
        flush();
      } else {
        entry += line;
        entry += '\n';
      }
    }
    flush();
  }
  if (entries.empty()) {
    throw cajal::IOError("fortunes: no collections found in " + directory.string());
  }
  return entries;
}

}  // namespace examples
