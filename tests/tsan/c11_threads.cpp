// ThreadSanitizer builds only: C11 threads (<threads.h>) routed through pthreads.
//
// librdkafka (Debian's 2.0.2) starts its threads with C11 thrd_create and locks with mtx_* and
// cnd_*. glibc implements those by calling its pthread internals directly, past the pthread
// interceptors of the TSan runtime (GCC's and clang's alike): a thread it never saw then crashes
// the runtime at its first allocation, and the locks it never saw would be missing
// happens-before edges (false race reports on brokerload's data handed over by librdkafka).
// Defined in the executable, these win over glibc's (the dynamic linker binds librdkafka's
// references to the executable first) and call the pthread functions TSan intercepts. glibc's C11
// types are its pthread types (thrd_t is pthread_t, mtx_t and cnd_t share the layouts), as
// glibc's own implementation relies on.
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <ctime>

namespace {

struct Start {
  thrd_start_t function;
  void* argument;
};

void* Trampoline(void* start) {
  const Start s = *static_cast<Start*>(start);
  std::free(start);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(s.function(s.argument)));
}

int FromErrno(int error) {
  switch (error) {
    case 0:
      return thrd_success;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    case ENOMEM:
      return thrd_nomem;
    default:
      return thrd_error;
  }
}

pthread_mutex_t* Native(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* Native(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = static_cast<Start*>(std::malloc(sizeof(Start)));
  if (start == nullptr) return thrd_nomem;
  *start = Start{function, argument};
  const int error = pthread_create(thread, nullptr, Trampoline, start);
  if (error != 0) std::free(start);
  return FromErrno(error);
}

int thrd_join(thrd_t thread, int* result) {
  void* value = nullptr;
  const int error = pthread_join(thread, &value);
  if (error == 0 && result != nullptr) {
    *result = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  }
  return FromErrno(error);
}

int thrd_detach(thrd_t thread) { return FromErrno(pthread_detach(thread)); }

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) {
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  }
  const int error = pthread_mutex_init(Native(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return FromErrno(error);
}

int mtx_lock(mtx_t* mutex) { return FromErrno(pthread_mutex_lock(Native(mutex))); }
int mtx_trylock(mtx_t* mutex) { return FromErrno(pthread_mutex_trylock(Native(mutex))); }
int mtx_timedlock(mtx_t* __restrict mutex, const struct timespec* __restrict until) {
  return FromErrno(pthread_mutex_timedlock(Native(mutex), until));
}
int mtx_unlock(mtx_t* mutex) { return FromErrno(pthread_mutex_unlock(Native(mutex))); }
void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(Native(mutex)); }

int cnd_init(cnd_t* condition) { return FromErrno(pthread_cond_init(Native(condition), nullptr)); }
int cnd_signal(cnd_t* condition) { return FromErrno(pthread_cond_signal(Native(condition))); }
int cnd_broadcast(cnd_t* condition) { return FromErrno(pthread_cond_broadcast(Native(condition))); }
int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  return FromErrno(pthread_cond_wait(Native(condition), Native(mutex)));
}
int cnd_timedwait(cnd_t* __restrict condition, mtx_t* __restrict mutex,
                  const struct timespec* __restrict until) {
  return FromErrno(pthread_cond_timedwait(Native(condition), Native(mutex), until));
}
void cnd_destroy(cnd_t* condition) { pthread_cond_destroy(Native(condition)); }

void call_once(once_flag* flag, void (*function)()) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

}  // extern "C"
