#pragma once
// A per-thread free list for the small objects every op creates and destroys (TensorImpl,
// Storage, autograd nodes), handed to std::allocate_shared so object and control block stay one
// block. glibc's per-thread cache holds only 7 blocks per size, and one training step of a small
// network frees a few hundred objects at once, so most frees fell through to its slow path
// (docs/performance.md). A block freed on another thread joins that thread's list; each list is
// bounded, and emptied when its thread exits. Under AddressSanitizer nothing is kept, so a use
// after free is still caught.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace cajal::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kPooledBlocks = 0;
#else
inline constexpr size_t kPooledBlocks = 4096;
#endif

// Blocks of one size and alignment, linked through their first bytes.
template <size_t Size, size_t Align>
class FreeList {
 public:
  static void* take() {
    State* s = state();
    if (s != nullptr && s->head != nullptr) {
      Link* block = s->head;
      s->head = block->next;
      --s->count;
      return block;
    }
    return ::operator new(Size, std::align_val_t(Align));
  }

  static void give(void* block) {
    State* s = state();
    if (s != nullptr && s->count < kPooledBlocks) {
      Link* link = static_cast<Link*>(block);
      link->next = s->head;
      s->head = link;
      ++s->count;
      return;
    }
    ::operator delete(block, std::align_val_t(Align));
  }

 private:
  struct Link {
    Link* next;
  };
  struct State {
    Link* head = nullptr;
    size_t count = 0;
    ~State() {
      destroyed() = true;
      while (head != nullptr) {
        Link* next = head->next;
        ::operator delete(head, std::align_val_t(Align));
        head = next;
      }
    }
  };
  // Trivially destructible, so it stays readable while the thread's other objects are destroyed.
  static bool& destroyed() {
    thread_local bool flag = false;
    return flag;
  }
  static State* state() {
    if (destroyed()) return nullptr;
    thread_local State s;
    return &s;
  }
};

// Allocator for std::allocate_shared: single objects come from the free list of their size.
template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  static constexpr size_t kAlign = alignof(T) < alignof(void*) ? alignof(void*) : alignof(T);
  static constexpr size_t kSize = sizeof(T) < sizeof(void*) ? sizeof(void*) : sizeof(T);

  T* allocate(size_t n) {
    if (n == 1) return static_cast<T*>(FreeList<kSize, kAlign>::take());
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kAlign)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n == 1) {
      FreeList<kSize, kAlign>::give(p);
    } else {
      ::operator delete(p, std::align_val_t(kAlign));
    }
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace cajal::detail
