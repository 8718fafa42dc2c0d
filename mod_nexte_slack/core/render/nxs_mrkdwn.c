/* Escaping of user strings for Slack text objects, and clean cuts to
 * Slack's length limits.  Slack treats "&", "<" and ">" as control
 * characters in every text object; everything else is shown as sent. */
#include "render/nxs_mrkdwn.h"

#include <apr_strings.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Decodes the code point at S (N bytes left) into *cp; returns its length
 * in bytes, or 0 for a malformed sequence (overlong, surrogate, too big). */
static apr_size_t utf8_decode(unsigned *cp, const unsigned char *s, apr_size_t n)
{
    apr_size_t len, i;
    unsigned c = s[0], min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        return 0;
    }
    *cp = c;
    return len;
}

/* Characters a user string may not carry into a message: controls, and the
 * bidi controls that would reorder the module's own text around them. */
static int is_dropped(unsigned cp)
{
    return (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static int is_break(unsigned cp)
{
    return cp == '\n' || cp == 0x2028 || cp == 0x2029;
}

/* Appends SRC (LEN bytes, one code point) to OUT, escaped. */
static char *put_escaped(char *out, const unsigned char *src, apr_size_t len)
{
    const char *entity = NULL;

    switch (*src) {
    case '&':
        entity = "&amp;";
        break;
    case '<':
        entity = "&lt;";
        break;
    case '>':
        entity = "&gt;";
        break;
    }
    if (entity) {
        len = strlen(entity);
        src = (const unsigned char *)entity;
    }
    memcpy(out, src, len);
    return out + len;
}

/* White space is not copied as it comes: a run of spaces, tabs and line
 * breaks becomes one space (or, in multi-line text, one or two line breaks)
 * when the next visible character arrives, so the result is also trimmed. */
const char *nxs_mrkdwn_escape(const char *s, unsigned flags, apr_pool_t *p)
{
    const unsigned char *in = (const unsigned char *)(s ? s : "");
    apr_size_t n = strlen((const char *)in), i = 0, used, len;
    char *buf = apr_palloc(p, n * 5 + 1), *out = buf;
    const unsigned char *src;
    int breaks = 0, spaces = 0;
    unsigned cp;

    for (; i < n; i += used) {
        src = in + i;
        if ((used = len = utf8_decode(&cp, src, n - i)) == 0) {
            cp = 0xFFFD, used = 1, len = 3, src = (const unsigned char *)REPLACEMENT;
        }
        if (is_dropped(cp)) {
            continue;
        }
        if (is_break(cp) || cp == '\t' || cp == ' ') {
            breaks += is_break(cp);
            spaces += !is_break(cp);
            continue;
        }
        if (out > buf && breaks && (flags & NXS_ESC_MULTILINE)) {
            *out++ = '\n';
            if (breaks > 1) {
                *out++ = '\n';
            }
        } else if (out > buf && (breaks || spaces)) {
            *out++ = ' ';
        }
        breaks = spaces = 0;
        out = put_escaped(out, src, len);
    }
    *out = '\0';
    return buf;
}

apr_size_t nxs_mrkdwn_length(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* End of the unit that starts at T[I]: an entity ("&amp;"), a token the
 * module wrote ("<!date^...|...>", "<!here>"), or one code point.  A cut
 * may fall between units only.  *CHARS receives the unit's length. */
static apr_size_t unit_end(const char *t, apr_size_t i, apr_size_t *chars)
{
    const char *end = NULL;
    apr_size_t j = i + 1, k;

    if (t[i] == '&') {
        end = memchr(t + i, ';', strnlen(t + i, 9));
    } else if (t[i] == '<') {
        end = strchr(t + i, '>');
    }
    if (end) {
        j = (apr_size_t)(end - t) + 1;
    }
    while (t[j] && ((unsigned char)t[j] & 0xC0) == 0x80) {
        j++;
    }
    for (*chars = 0, k = i; k < j; k++) {
        *chars += ((unsigned char)t[k] & 0xC0) != 0x80;
    }
    return j;
}

/* Largest grapheme boundary at or before byte OFF of T (so that a cut never
 * separates a letter from its accent, or the parts of a family emoji). */
static apr_size_t grapheme_floor(const char *t, apr_size_t off)
{
    UErrorCode err = U_ZERO_ERROR;
    UText *ut = utext_openUTF8(NULL, t, -1, &err);
    UBreakIterator *bi = ubrk_open(UBRK_CHARACTER, "", NULL, 0, &err);
    int32_t b;

    ubrk_setUText(bi, ut, &err);
    if (U_SUCCESS(err) && !ubrk_isBoundary(bi, (int32_t)off)) {
        b = ubrk_preceding(bi, (int32_t)off);
        off = b == UBRK_DONE ? 0 : (apr_size_t)b;
    }
    ubrk_close(bi);
    utext_close(ut);
    return off;
}

const char *nxs_mrkdwn_truncate(const char *t, apr_size_t max, apr_pool_t *p)
{
    apr_size_t i, next, chars, used = 0, cut = 0, boundary;

    if (nxs_mrkdwn_length(t) <= max) {
        return t;
    }
    /* Whole units while they fit, keeping one character for the ellipsis. */
    for (i = 0; t[i]; i = next) {
        next = unit_end(t, i, &chars);
        if (used + chars > max - 1) {
            break;
        }
        used += chars;
        cut = next;
    }
    /* Back to a grapheme boundary, and from there to the unit it falls in. */
    boundary = grapheme_floor(t, cut);
    for (i = 0, cut = 0; t[i] && i <= boundary; i = unit_end(t, i, &chars)) {
        cut = i;
    }
    while (cut > 0 && (t[cut - 1] == ' ' || t[cut - 1] == '\n')) {
        cut--;
    }
    return apr_pstrcat(p, apr_pstrndup(p, t, cut), NXS_MRKDWN_ELLIPSIS, NULL);
}

const char *nxs_mrkdwn_field(const char *s, apr_size_t max, unsigned flags, apr_pool_t *p)
{
    return nxs_mrkdwn_truncate(nxs_mrkdwn_escape(s, flags, p), max, p);
}

const char *nxs_mrkdwn_quote(const char *t, apr_pool_t *p)
{
    apr_size_t n = 0;
    const char *c;
    char *buf, *out;

    for (c = t; *c; c++) {
        n += *c == '\n';
    }
    out = buf = apr_palloc(p, strlen(t) + 2 * (n + 1) + 1);
    *out++ = '>', *out++ = ' ';
    for (c = t; *c; c++) {
        *out++ = *c;
        if (*c == '\n') {
            *out++ = '>', *out++ = ' ';
        }
    }
    *out = '\0';
    return buf;
}
