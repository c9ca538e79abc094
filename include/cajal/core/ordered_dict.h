#pragma once
// OrderedDict: string keys in insertion order, with hashed lookup. Named parameters, buffers,
// submodules and every state dict (modules, optimizers, schedulers) are one of these.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cajal/core/error.h"

namespace cajal {

template <typename V>
class OrderedDict {
 public:
  using Item = std::pair<std::string, V>;

  OrderedDict() = default;
  OrderedDict(std::initializer_list<Item> items) {
    for (const Item& item : items) insert(item.first, item.second);
  }

  // Adds a key; ValueError if it is already there.
  V& insert(std::string key, V value) {
    if (index_.count(key) != 0) throw ValueError("OrderedDict: duplicate key '" + key + "'");
    index_.emplace(key, items_.size());
    items_.emplace_back(std::move(key), std::move(value));
    return items_.back().second;
  }
  // Adds or replaces.
  V& insert_or_assign(const std::string& key, V value) {
    if (V* existing = find(key)) return *existing = std::move(value);
    return insert(key, std::move(value));
  }

  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  V* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  const V* find(const std::string& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  // IndexError naming the key when it is missing.
  V& at(const std::string& key) {
    if (V* value = find(key)) return *value;
    throw IndexError("OrderedDict: no key '" + key + "'");
  }
  const V& at(const std::string& key) const {
    if (const V* value = find(key)) return *value;
    throw IndexError("OrderedDict: no key '" + key + "'");
  }
  V& operator[](const std::string& key) { return at(key); }
  const V& operator[](const std::string& key) const { return at(key); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() {
    items_.clear();
    index_.clear();
  }

  auto begin() { return items_.begin(); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  const std::vector<Item>& items() const { return items_; }

  std::vector<std::string> keys() const {
    std::vector<std::string> keys;
    keys.reserve(items_.size());
    for (const Item& item : items_) keys.push_back(item.first);
    return keys;
  }
  std::vector<V> values() const {
    std::vector<V> values;
    values.reserve(items_.size());
    for (const Item& item : items_) values.push_back(item.second);
    return values;
  }

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, size_t> index_;
};

class Tensor;
// Named tensors: a module's parameters and buffers, an optimizer's or scheduler's state. Scalars
// are stored as 0-dim tensors (float64 for real numbers, int64 for counters) so a state dict
// saves to safetensors unchanged and restores bit for bit.
using StateDict = OrderedDict<Tensor>;

}  // namespace cajal
