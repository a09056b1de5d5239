/* Small file-system helpers shared by the stages (private). */
#ifndef CC_FS_INTERNAL_H
#define CC_FS_INTERNAL_H

/* Creates a directory and its missing parents; new ones get `mode`.
 * Returns 0, or CC_EIO with the message set. */
int cc_mkdir_p(const char *path, unsigned mode);

#endif
