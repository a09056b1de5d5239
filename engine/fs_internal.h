/* Small file-system helpers shared by the stages (private). */
#ifndef CC_FS_INTERNAL_H
#define CC_FS_INTERNAL_H

#include <stddef.h>

/* Creates a directory and its missing parents; new ones get `mode`.
 * Returns 0, or CC_EIO with the message set. */
int cc_mkdir_p(const char *path, unsigned mode);

/*
 * Refuses a directory that someone else could plant files in: one that
 * another user owns, or that group or others may write (an existing
 * --out made 0777 by hand, /tmp itself). `what` names it in the message
 * ("output folder", "database folder"). Nothing is changed: tightening a
 * folder that someone else could already write would not undo what they
 * may have planted. Returns 0, CC_EINVALID (refused: the message says
 * why and what to do) or CC_EIO.
 */
int cc_dir_check_private(const char *path, const char *what);

/*
 * Creates a new empty file for writing in dir, named "." name "." and a
 * random suffix, with O_CREAT | O_EXCL | O_NOFOLLOW and mode 0600: never
 * an existing file, never through a symbolic link planted in its place,
 * and never the same name as another run's. Its path goes to tmp_path
 * (cap bytes). Returns the descriptor, or CC_EIO with the message set.
 */
int cc_temp_create(char *tmp_path, size_t cap, const char *dir,
                   const char *name);

/*
 * Removes the leftovers of cc_temp_create(dir, name) by runs that were
 * killed ("." name "." and a suffix of its form). Only for a caller that
 * holds the folder's run lock, so that no live run's file is removed.
 */
void cc_temp_sweep(const char *dir, const char *name);

/* Tests only (tests/check_run.c): when not NULL, cc_temp_create fails with
 * ENOSPC for the output of this name, standing in for a full disk. */
extern const char *cc_fs_fail_temp;

/*
 * One run at a time per folder: takes an exclusive flock on dir/name
 * (created 0600, O_NOFOLLOW) and writes the holder into it: pid, host,
 * start time (UTC) and `command`. When another process holds it, returns
 * CC_EBUSY with a message naming `what`, the folder and that holder.
 * *fd is the lock (>= 0) to give to cc_lock_release, -1 on failure. The
 * lock file stays (removing it would let two runs lock two files).
 */
int cc_lock_take(int *fd, const char *dir, const char *name, const char *what,
                 const char *command);

/* Releases a lock of cc_lock_take (-1 is a no-op) and sets *fd to -1. */
void cc_lock_release(int *fd);

#endif
