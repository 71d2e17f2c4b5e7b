/* diskfull: an LD_PRELOAD shim for tests/soak.sh that makes one
 * directory's disk look full, for a while, to a running process.
 *
 *   SAFEROUTE_DISKFULL_DIR=DIR SAFEROUTE_DISKFULL_FLAG=FILE \
 *   LD_PRELOAD=tests/diskfull.so PROGRAM...
 *
 * While FILE exists, every write, pwrite, ftruncate and fallocate on a
 * descriptor of a file under DIR (and, with SAFEROUTE_DISKFULL_PREFIX,
 * only of a file directly under DIR whose name begins with it: one store
 * of several sharing a directory) fails with ENOSPC, as the kernel does
 * when the file system is full (SQLite reports SQLITE_FULL).  Removing
 * FILE ends the window; other files (logs, sockets) are never touched.
 * A real full disk needs a mount, which CI may not allow.  Writes through
 * a shared mapping (SQLite's -shm index) are not caught: a full disk
 * does not stop those either, once the mapping exists.
 *
 * With SAFEROUTE_DISKFULL_SYNC=eio the window fails syncs instead: every
 * fsync and fdatasync of such a file fails with EIO (a write-back the
 * disk refused) while writes go through.
 *
 * Under AddressSanitizer, run with ASAN_OPTIONS=verify_asan_link_order=0
 * (the shim comes before libasan in the search order; it only forwards). */
#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*WriteFn) (int, const void *, size_t);
typedef ssize_t (*PwriteFn) (int, const void *, size_t, off_t);
typedef int (*TruncateFn) (int, off_t);
typedef int (*FallocateFn) (int, int, off_t, off_t);
typedef int (*PosixFallocateFn) (int, off_t, off_t);
typedef int (*SyncFn) (int);

static char full_dir[PATH_MAX];
static const char *full_prefix; /* or NULL: every file under the directory */
static int full_dir_state;      /* 1 set, -1 not configured */
static pthread_once_t full_dir_once = PTHREAD_ONCE_INIT;

/* Once, at the first write in a window (the directory exists by then),
 * and once only: several threads write (SQLite's checkpointer too). */
static void
diskfull_configure (void)
{
  const char *dir = getenv ("SAFEROUTE_DISKFULL_DIR");

  full_prefix = getenv ("SAFEROUTE_DISKFULL_PREFIX");
  full_dir_state = dir && realpath (dir, full_dir) ? 1 : -1;
}

/* TRUE when FD is a file under the directory and the window is open. */
static int
diskfull_now (int fd)
{
  const char *flag = getenv ("SAFEROUTE_DISKFULL_FLAG");
  char link[64], path[PATH_MAX];
  int saved = errno;
  ssize_t n;
  size_t dlen;

  /* access() and readlink() must not change errno for the caller. */
  if (flag == NULL || access (flag, F_OK) != 0)
    {
      errno = saved;
      return 0;
    }
  pthread_once (&full_dir_once, diskfull_configure);
  errno = saved;
  if (full_dir_state < 0)
    return 0;
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, path, sizeof path - 1);
  errno = saved;
  if (n <= 0)
    return 0;
  path[n] = '\0';
  dlen = strlen (full_dir);
  if (strncmp (path, full_dir, dlen) != 0 || path[dlen] != '/')
    return 0;
  return full_prefix == NULL
         || (strchr (path + dlen + 1, '/') == NULL
             && strncmp (path + dlen + 1, full_prefix, strlen (full_prefix)) == 0);
}

/* In a window, writes fail unless only syncs are to. */
static int
diskfull_writes (int fd)
{
  return getenv ("SAFEROUTE_DISKFULL_SYNC") == NULL && diskfull_now (fd);
}

static int
diskfull_syncs (int fd)
{
  return getenv ("SAFEROUTE_DISKFULL_SYNC") != NULL && diskfull_now (fd);
}

static void *
diskfull_next (const char *name)
{
  return dlsym (RTLD_NEXT, name);
}

ssize_t
write (int fd, const void *buf, size_t count)
{
  static WriteFn next;

  if (count > 0 && diskfull_writes (fd))
    {
      errno = ENOSPC;
      return -1;
    }
  if (next == NULL)
    next = (WriteFn) diskfull_next ("write");
  return next (fd, buf, count);
}

ssize_t
pwrite (int fd, const void *buf, size_t count, off_t offset)
{
  static PwriteFn next;

  if (count > 0 && diskfull_writes (fd))
    {
      errno = ENOSPC;
      return -1;
    }
  if (next == NULL)
    next = (PwriteFn) diskfull_next ("pwrite");
  return next (fd, buf, count, offset);
}

ssize_t
pwrite64 (int fd, const void *buf, size_t count, off_t offset)
{
  static PwriteFn next;

  if (count > 0 && diskfull_writes (fd))
    {
      errno = ENOSPC;
      return -1;
    }
  if (next == NULL)
    next = (PwriteFn) diskfull_next ("pwrite64");
  return next (fd, buf, count, offset);
}

/* Growing a file needs space; shrinking it (SQLite truncating its WAL)
 * would not, but failing both keeps the shim simple and is allowed. */
int
ftruncate (int fd, off_t length)
{
  static TruncateFn next;

  if (diskfull_writes (fd))
    {
      errno = ENOSPC;
      return -1;
    }
  if (next == NULL)
    next = (TruncateFn) diskfull_next ("ftruncate");
  return next (fd, length);
}

int
ftruncate64 (int fd, off_t length)
{
  static TruncateFn next;

  if (diskfull_writes (fd))
    {
      errno = ENOSPC;
      return -1;
    }
  if (next == NULL)
    next = (TruncateFn) diskfull_next ("ftruncate64");
  return next (fd, length);
}

int
fallocate (int fd, int mode, off_t offset, off_t len)
{
  static FallocateFn next;

  if (diskfull_writes (fd))
    {
      errno = ENOSPC;
      return -1;
    }
  if (next == NULL)
    next = (FallocateFn) diskfull_next ("fallocate");
  return next (fd, mode, offset, len);
}

int
posix_fallocate (int fd, off_t offset, off_t len)
{
  static PosixFallocateFn next;

  if (diskfull_writes (fd))
    return ENOSPC;
  if (next == NULL)
    next = (PosixFallocateFn) diskfull_next ("posix_fallocate");
  return next (fd, offset, len);
}

int
fdatasync (int fd)
{
  static SyncFn next;

  if (diskfull_syncs (fd))
    {
      errno = EIO;
      return -1;
    }
  if (next == NULL)
    next = (SyncFn) diskfull_next ("fdatasync");
  return next (fd);
}

int
fsync (int fd)
{
  static SyncFn next;

  if (diskfull_syncs (fd))
    {
      errno = EIO;
      return -1;
    }
  if (next == NULL)
    next = (SyncFn) diskfull_next ("fsync");
  return next (fd);
}
