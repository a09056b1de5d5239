/*
 * fs.c - file-system helpers: creating directories for the database and the
 * outputs (mode 0700: they hold personal data), refusing folders that
 * others can write, creating temporary files that cannot be planted
 * (O_EXCL, O_NOFOLLOW, a random name), and the lock that lets one run at a
 * time use a database or an output folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chachong/text.h"
#include "error_internal.h"
#include "fs_internal.h"

/* The random part of a temporary name: 12 lower-case hex digits. */
#define TEMP_SUFFIX 12

int cc_mkdir_p(const char *path, unsigned mode)
{
  char *copy = strdup(path), *p;
  struct stat sb;
  int rc = 0;
  if (copy == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (p = copy + 1; rc == 0; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    {
      char saved = *p;
      *p = '\0';
      if (mkdir(copy, mode) != 0 && errno != EEXIST)
        rc = cc_error_set_errno(CC_EIO, errno, "cannot create %s", copy);
      else if (stat(copy, &sb) != 0 || !S_ISDIR(sb.st_mode))
        rc = cc_error_set(CC_EIO, "%s is not a directory", copy);
      *p = saved;
    }
    if (*p == '\0')
      break;
  }
  free(copy);
  return rc;
}

int cc_dir_check_private(const char *path, const char *what)
{
  struct stat sb;
  if (stat(path, &sb) != 0)
    return cc_error_set_errno(CC_EIO, errno, "%s %s", what, path);
  if (!S_ISDIR(sb.st_mode))
    return cc_error_set(CC_EIO, "%s %s is not a directory", what, path);
  if (sb.st_uid != geteuid())
    return cc_error_set(CC_EINVALID,
                        "%s %s belongs to another user (uid %u): refusing to "
                        "write personal data there; use a folder of your own",
                        what, path, (unsigned)sb.st_uid);
  if (sb.st_mode & (S_IWGRP | S_IWOTH))
    return cc_error_set(CC_EINVALID,
                        "%s %s can be written by %s (mode %04o): refusing to "
                        "write personal data there; run 'chmod 700 %s' or use "
                        "another folder",
                        what, path,
                        (sb.st_mode & S_IWOTH) ? "others" : "its group",
                        (unsigned)(sb.st_mode & 07777), path);
  return 0;
}

static void random_hex(char *out, size_t n)
{
  static const char digits[] = "0123456789abcdef";
  unsigned char r[TEMP_SUFFIX];
  size_t i;
  /* getrandom of a few bytes does not block once the pool is ready; a
   * short read (it should not happen) falls back on time and pid, which
   * O_EXCL still keeps from clobbering anything. */
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (i = 0; i < sizeof r; i++)
      r[i] = (unsigned char)((unsigned long)ts.tv_nsec >> (i % 4 * 8) ^
                             (unsigned long)getpid() >> (i % 3 * 8) ^ i * 131u);
  }
  for (i = 0; i < n && i < sizeof r; i++)
    out[i] = digits[r[i] & 15];
  out[i] = '\0';
}

const char *cc_fs_fail_temp;

int cc_temp_create(char *tmp_path, size_t cap, const char *dir,
                   const char *name)
{
  int tries, fd = -1, n;
  if (cc_fs_fail_temp && strcmp(cc_fs_fail_temp, name) == 0) {
    tmp_path[0] = '\0';
    return cc_error_set_errno(CC_EIO, ENOSPC, "cannot create a file in %s",
                              dir);
  }
  for (tries = 0; tries < 100; tries++) {
    char suffix[TEMP_SUFFIX + 1];
    random_hex(suffix, TEMP_SUFFIX);
    n = snprintf(tmp_path, cap, "%s/.%s.%s", dir, name, suffix);
    if (n < 0 || (size_t)n >= cap)
      return cc_error_set(CC_EIO, "output path too long under %s", dir);
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd >= 0 || errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int e = errno;
    tmp_path[0] = '\0';
    return cc_error_set_errno(CC_EIO, e, "cannot create a file in %s", dir);
  }
  return fd;
}

void cc_temp_sweep(const char *dir, const char *name)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  size_t nl = strlen(name);
  if (d == NULL)
    return;
  while ((de = readdir(d)) != NULL) {
    const char *s = de->d_name, *suffix;
    size_t i;
    if (s[0] != '.' || strncmp(s + 1, name, nl) != 0 || s[1 + nl] != '.')
      continue;
    suffix = s + 2 + nl;
    for (i = 0; suffix[i]; i++)
      if (!((suffix[i] >= '0' && suffix[i] <= '9') ||
            (suffix[i] >= 'a' && suffix[i] <= 'f')))
        break;
    if (i == TEMP_SUFFIX && suffix[i] == '\0')
      unlinkat(dirfd(d), s, 0);
  }
  closedir(d);
}

int cc_lock_take(int *fd, const char *dir, const char *name, const char *what,
                 const char *command)
{
  char path[4096], line[1024], host[256] = "?", when[32];
  time_t now = time(NULL);
  struct tm tm;
  int n, k;

  *fd = -1;
  n = snprintf(path, sizeof path, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= sizeof path)
    return cc_error_set(CC_EIO, "path too long: %s", dir);
  k = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (k < 0)
    return cc_error_set_errno(CC_EIO, errno, "cannot open the lock %s", path);
  if (flock(k, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ssize_t got;
    char holder[512], shown[512];
    if (e != EWOULDBLOCK) {
      close(k);
      return cc_error_set_errno(CC_EIO, e, "cannot lock %s", path);
    }
    /* The holder wrote its line right after it took the lock: a reader
     * that comes in between sees it empty. */
    got = pread(k, holder, sizeof holder - 1, 0);
    close(k);
    holder[got > 0 ? got : 0] = '\0';
    holder[strcspn(holder, "\n")] = '\0';
    cc_text_visible(shown, sizeof shown, holder, strlen(holder), 0);
    return cc_error_set(CC_EBUSY,
                        "%s %s is in use by another run (%s); wait for it to "
                        "end, or use another folder",
                        what, dir, shown[0] ? shown : "holder not yet written");
  }
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  n = snprintf(line, sizeof line, "pid %ld on %s since %s: %s\n",
               (long)getpid(), host, when,
               command && *command ? command : "chachong");
  if (n < 0 || (size_t)n >= sizeof line) {
    n = (int)sizeof line - 1;
    line[n - 1] = '\n';
  }
  /* Best effort: the lock is the flock, the line only says who holds it. */
  if (ftruncate(k, 0) != 0 || pwrite(k, line, (size_t)n, 0) != n)
    (void)0;
  *fd = k;
  return 0;
}

void cc_lock_release(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}
