/*
 * tokens — the paired devices' tokens, kept hashed in STATE_DIR/tokens.
 *
 * A token is 43 characters of base64url (32 random bytes) shown once, when it
 * is made; the file keeps only its SHA-256, one token per line:
 *
 *   ID<TAB>SHA256-HEX<TAB>ROLE<TAB>CREATED<TAB>NAME
 *
 * ID is 8 hex digits, ROLE display|remote|observer|tv|admin, CREATED ISO 8601 UTC
 * (2026-01-02T03:04:05Z), NAME at most 64 bytes without control characters.
 * Empty lines and lines starting with '#' are skipped.  The file must be
 * mode 0600 (a file that group or others may read or write is refused) and
 * is only ever replaced whole (base/sysio.h, sysio_replace: a new 0600 file
 * beside it, fsync, rename, fsync of the directory), so a full disk or a
 * crash leaves the old file.  Comments a person added are not kept across
 * a rewrite.
 *
 * Two processes write it: the daemon (pairing) and `smartofficed tokens`.
 * Every add and revoke holds an exclusive flock(2) on STATE_DIR/tokens.lock
 * while it re-reads the file, changes it and renames the new one in place,
 * so concurrent writers never lose each other's changes.  Readers take no
 * lock: the rename makes every read see a whole file.
 *
 * One owner: the daemon's service thread (no locking inside a process).
 */
#ifndef SO_TOKENS_H
#define SO_TOKENS_H

#include <stddef.h>

#define TOKENS_TOKEN_LEN 43     /* characters of a token */
#define TOKENS_NAME_MAX  64     /* bytes of a name */

/* TOKEN_ADMIN: the admin page (/admin/, docs/admin.md); never made by
 * pairing, only by `tokens add --role admin`. */
enum token_role { TOKEN_DISPLAY, TOKEN_REMOTE, TOKEN_OBSERVER, TOKEN_TV, TOKEN_ADMIN };

struct token_info {
	char            id[9];          /* 8 hex digits */
	enum token_role role;
	char            created[21];    /* 2026-01-02T03:04:05Z */
	char            name[TOKENS_NAME_MAX + 1];
};

struct tokens;

/*
 * Loads STATE_DIR/tokens (a missing file is an empty set; nothing is made
 * until the first add).  NULL with err ("PATH:LINE: reason", or "PATH: mode
 * 0644: ...") when the file is unreadable, too open or has a bad line: the
 * caller decides whether to run without tokens.
 */
struct tokens *tokens_open(const char *state_dir, char *err, size_t errlen);
void           tokens_close(struct tokens *t);

/* The file this set is kept in. */
const char    *tokens_path(const struct tokens *t);

/*
 * Makes a new token for ROLE and NAME, writes the file, and gives the token
 * (43 characters + NUL: shown once, never stored) and its id.  0, or -1 with
 * err (bad name, no randomness, the file could not be re-read or written;
 * then nothing changed).
 */
int tokens_add(struct tokens *t, enum token_role role, const char *name,
    char token_out[TOKENS_TOKEN_LEN + 1], char id_out[9], char *err, size_t errlen);

/*
 * 1 when TOKEN is one of the set (then *out, if not NULL, says which), 0 when
 * not.  The hash is compared with every entry in constant time; the time
 * taken depends only on the number of tokens.  Call tokens_reload_if_changed
 * first to see another process's changes.
 */
int tokens_check(const struct tokens *t, const char *token, struct token_info *out);

/* Removes the token ID and writes the file.  0, or -1 with err ("no token
 * with id ID", or an I/O error). */
int tokens_revoke(struct tokens *t, const char *id, char *err, size_t errlen);
/* Gives the token ID a new NAME and writes the file.  0, or -1 with err
 * (bad name, no such token, an I/O error; then nothing changed). */
int tokens_rename(struct tokens *t, const char *id, const char *name, char *err, size_t errlen);

/* Listing: tokens_at(t, i) for i < tokens_count(t), in file order (oldest
 * first).  The pointers stay valid until the set changes. */
size_t                   tokens_count(const struct tokens *t);
const struct token_info *tokens_at(const struct tokens *t, size_t i);

/*
 * Re-reads the file when it changed since this handle last read or wrote it
 * (inode, size, mtime, ctime, mode: a stat(2), no read otherwise).  1 when it
 * re-read it (the set may be different), 0 when unchanged, -1 with err when
 * the new file cannot be read as tokens (a bad line, a mode too open, not a
 * file, an I/O error): then the set read before stays in force until the
 * file is good again (a file being rewritten or restored by hand must not
 * demote every trusted display; only a good file without a token revokes
 * it), and the same bad file is reported once, not on every call.  A file
 * that was removed is an empty set (1).
 */
int tokens_reload_if_changed(struct tokens *t, char *err, size_t errlen);

/* Names: 0 when NAME may be stored (at most 64 bytes, no control
 * characters), else -1 with err.  For checking a pairing name early. */
int tokens_name_valid(const char *name, char *err, size_t errlen);

/* "display", "remote", "observer", "tv" (a smart TV: docs/conference.md),
 * "admin". */
const char *tokens_role_name(enum token_role role);
/* 0 and *role for one of those names, else -1. */
int         tokens_role_parse(const char *s, enum token_role *role);

#endif
