/*
 * Accounts of the service (SPEC 5, issue 14): people and provincial
 * systems that read findings through `chachong serve`, each within a
 * scope. Nobody shares an account (POLICY "Who uses the results").
 *
 * Accounts are kept in the database, passwords as Argon2id hashes
 * (libsodium crypto_pwhash), API tokens as BLAKE2b-256 digests: a token is
 * shown once, when it is made, and can only be replaced or revoked.
 */
#ifndef CHACHONG_ACCOUNT_H
#define CHACHONG_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an account may see (SPEC 5). */
typedef enum cc_role {
  CC_ROLE_NONE = 0,
  CC_ROLE_NATIONAL, /**< "national": every finding; no scope code */
  CC_ROLE_PROVINCE, /**< "province": a 2-digit GB/T 2260 code */
  CC_ROLE_CITY,     /**< "city": a 4-digit GB/T 2260 code */
  CC_ROLE_SCHOOL,   /**< "school": a school code; answers its findings */
  CC_ROLE_COUNT_
} cc_role;

/** Stable English code of a role ("province"); "none" for others. */
const char *cc_role_code(cc_role r);
/** Chinese name of a role ("省级"). */
const char *cc_role_zh(cc_role r);
/** Parses a role code; -1 when unknown. */
int cc_role_parse(const char *code);

/** Longest account name and scope code, in bytes. */
#define CC_ACCOUNT_NAME_MAX 63
#define CC_ACCOUNT_SCOPE_MAX 63
/** Shortest and longest password, in bytes. */
#define CC_PASSWORD_MIN 10
#define CC_PASSWORD_MAX 1024
/** An API token's text: "cct_" and 64 hex digits, and a NUL. */
#define CC_TOKEN_TEXT 69

/** An account as stored (never its password or token). */
typedef struct cc_account {
  char name[CC_ACCOUNT_NAME_MAX + 1];   /**< login name */
  uint8_t role;                         /**< cc_role */
  char scope[CC_ACCOUNT_SCOPE_MAX + 1]; /**< region or school code; "" for
                                             national */
  uint8_t disabled;                     /**< 1: may not log in */
  uint8_t has_token;                    /**< 1: an API token is active */
  int64_t created;                      /**< Unix seconds */
  int64_t changed;                      /**< Unix microseconds of the last
                                             change (password, state,
                                             token): sessions opened
                                             before it end */
} cc_account;

/*
 * The calls that change an account (cc_account_add, _set_disabled,
 * _set_password, _token_new, _token_revoke) each record an audit entry
 * (command "user", what e.g. "add NAME role=ROLE scope=SCOPE", "passwd
 * NAME", "disable NAME", "token NAME new") under cc_audit_user(NULL) once
 * the change is stored; a failed audit write is returned as the call's
 * error.
 */

/**
 * Checks a scope for a role: none for national; a listed province
 * (2 digits) or prefecture (4 digits) code (cc_region_lookup); a school
 * code of 1-63 printable ASCII characters without spaces.
 * @return 0 or CC_EINVALID (message set).
 */
int cc_account_scope_check(int role, const char *scope);

/**
 * Adds an account. The name is 1-63 characters of A-Z a-z 0-9 . _ - @.
 * The password (CC_PASSWORD_MIN-MAX bytes, any bytes but NUL) is hashed
 * with Argon2id; it is not kept.
 * @return 0; CC_EINVALID (name, role, scope, password); CC_EBUSY when the
 *         name is taken; CC_EIO; CC_ENOMEM.
 */
int cc_account_add(cc_db *db, const char *name, int role, const char *scope,
                   const char *password, size_t password_len);

/**
 * Reads an account.
 * @return 0; CC_ENOTFOUND; CC_EIO; CC_ECORRUPT.
 */
int cc_account_get(cc_account *out, cc_db *db, const char *name);

/**
 * Every account, by name.
 * @param[out] out malloc'd array (free it); NULL when none
 */
int cc_account_list(cc_account **out, size_t *n, cc_db *db);

/** Disables (1) or enables (0) an account. @return 0; CC_ENOTFOUND; CC_EIO. */
int cc_account_set_disabled(cc_db *db, const char *name, int disabled);

/** Sets a new password. @return 0; CC_EINVALID; CC_ENOTFOUND; CC_EIO. */
int cc_account_set_password(cc_db *db, const char *name, const char *password,
                            size_t password_len);

/**
 * Makes a new API token for an account, replacing any it had.
 * @param[out] out the token's text: show it once, it is not kept
 * @return 0; CC_ENOTFOUND; CC_EIO.
 */
int cc_account_token_new(char out[CC_TOKEN_TEXT], cc_db *db, const char *name);

/** Revokes an account's API token. @return 0; CC_ENOTFOUND (no account or no token); CC_EIO. */
int cc_account_token_revoke(cc_db *db, const char *name);

/**
 * Checks a name and a password. An unknown name takes as long as a wrong
 * password (a dummy hash is verified), and both, like a disabled account,
 * give the same answer: CC_ENOTFOUND with the message "wrong name or
 * password".
 * @param[out] out the account when 0 is returned
 * @return 0; CC_ENOTFOUND; CC_EIO; CC_ENOMEM.
 * @note Takes an Argon2id verification (tens of milliseconds, 64 MiB).
 */
int cc_account_login(cc_account *out, cc_db *db, const char *name,
                     const char *password, size_t password_len);

/**
 * The account an API token belongs to (an enabled one).
 * @return 0; CC_ENOTFOUND for an unknown, revoked or malformed token or a
 *         disabled account; CC_EIO.
 */
int cc_account_token_auth(cc_account *out, cc_db *db, const char *token);

#ifdef __cplusplus
}
#endif
#endif
