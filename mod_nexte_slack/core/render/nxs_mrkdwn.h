/* Making user-supplied strings safe for Slack text objects and cutting
 * text to Slack's limits without breaking a character or a token. */
#ifndef NXS_MRKDWN_H
#define NXS_MRKDWN_H

#include <apr_pools.h>

/* Escape flags. */
#define NXS_ESC_LINE      0 /* one line: line breaks and tabs become one space */
#define NXS_ESC_MULTILINE 1 /* keep line breaks (at most one blank line in a row) */

/* The ellipsis that marks every cut ("…", U+2026, one character). */
#define NXS_MRKDWN_ELLIPSIS "\xE2\x80\xA6"

/* Escapes S for a Slack text object, mrkdwn or plain_text alike: "&", "<"
 * and ">" become "&amp;", "&lt;", "&gt;" (so "<!channel>" or "<@U1>" can
 * never become a mention or a link), invalid UTF-8 becomes U+FFFD, control
 * characters and bidi embedding/override/isolate controls are dropped,
 * surrounding white space is trimmed.  NULL gives "". */
const char *nxs_mrkdwn_escape(const char *s, unsigned flags, apr_pool_t *p);

/* Escapes S as above, then cuts it to at most MAX characters. */
const char *nxs_mrkdwn_field(const char *s, apr_size_t max, unsigned flags, apr_pool_t *p);

/* Length as Slack counts it: Unicode code points. */
apr_size_t nxs_mrkdwn_length(const char *s);

/* Cuts escaped or module-built text T to at most MAX characters (MAX >= 1)
 * including a trailing ellipsis.  The cut falls on a grapheme boundary and
 * never inside an entity ("&amp;") or a "<...>" token the module wrote.
 * Returns T itself when it already fits. */
const char *nxs_mrkdwn_truncate(const char *t, apr_size_t max, apr_pool_t *p);

/* Prefixes every line of escaped text T with "> " (a mrkdwn quote). */
const char *nxs_mrkdwn_quote(const char *t, apr_pool_t *p);

#endif
