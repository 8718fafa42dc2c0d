/* nxs-embed: turns the settings page's static files (mod_nexte_slack/web/)
 * into the C source of the module's asset table (handle/nxs_assets.h):
 * per file its name, content type (by extension), bytes, gzip bytes and
 * version (hex SHA-256 of the bytes).  apxs.mk runs it at build time; its
 * output lives in build/out and is never committed.
 *
 * The output is the same for the same files on every machine: entries are
 * sorted by name and the gzip bytes come from `gzip -9n` (-n: no name and
 * no time stamp in the header), so a build changes an asset's bytes, ETag
 * and URL only when the file changed.
 *
 * A file it cannot serve stops the build, naming the file: an extension
 * without a known content type, a name that would need escaping in a URL,
 * a folder, or more than NXS_EMBED_MAX bytes. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Far above any page asset; it keeps every length an int for ap_rwrite. */
#define NXS_EMBED_MAX (16L * 1024 * 1024)

extern char **environ;

static const char usage[] = "usage: nxs-embed -o OUT.c FILE...\n"
                            "Writes the asset table of the files given (their base names are the\n"
                            "asset names) to OUT.c, replacing it only when every file is usable.\n";

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
    {".html", "text/html; charset=utf-8"},
};

typedef struct asset_t {
    const char *path;
    const char *name;
    const char *type;
    unsigned char *raw, *gz;
    size_t raw_len, gz_len;
    char version[2 * 32 + 1];
} asset_t;

/* Says what is wrong with PATH and returns -1. */
static int fail(const char *path, const char *why)
{
    fprintf(stderr, "nxs-embed: %s: %s\n", path, why);
    return -1;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* The name goes into URLs and C strings as it is: letters, digits, '.',
 * '_' and '-' only, never a leading '.' (nxs_asset_find refuses those). */
static int check_name(const asset_t *a)
{
    const char *c;

    if (!*a->name || *a->name == '.') {
        return fail(a->path, "an asset name may not start with '.'");
    }
    for (c = a->name; *c; ++c) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-')) {
            return fail(a->path, "an asset name is letters, digits, '.', '_' and '-' only "
                                 "(it goes into URLs unescaped)");
        }
    }
    return 0;
}

static int find_type(asset_t *a)
{
    const char *dot = strrchr(a->name, '.');
    size_t i;

    for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); ++i) {
        if (strcmp(dot, types[i].ext) == 0) {
            a->type = types[i].type;
            return 0;
        }
    }
    return fail(a->path, "no content type for this extension (known: .js .css .svg .png "
                         ".json .html; add one to tools/nxs-embed.c)");
}

/* Reads all of FD into *OUT (malloc'd), at most NXS_EMBED_MAX bytes. */
static int read_all(unsigned char **out, size_t *len, int fd, const char *path)
{
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap), *grown;
    ssize_t got;

    if (!buf) {
        return fail(path, "out of memory");
    }
    for (;;) {
        if (n > (size_t)NXS_EMBED_MAX) {
            free(buf);
            return fail(path, "larger than 16 MiB");
        }
        if (n == cap) {
            if (!(grown = realloc(buf, cap * 2))) {
                free(buf);
                return fail(path, "out of memory");
            }
            buf = grown;
            cap *= 2;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            free(buf);
            return fail(path, strerror(errno));
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int read_file(asset_t *a)
{
    struct stat st;
    int fd, rc;

    if (stat(a->path, &st) != 0) {
        return fail(a->path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(a->path, "not a regular file (web/ is served flat: no folders)");
    }
    if ((fd = open(a->path, O_RDONLY)) < 0) {
        return fail(a->path, strerror(errno));
    }
    rc = read_all(&a->raw, &a->raw_len, fd, a->path);
    close(fd);
    return rc;
}

/* a->gz = the output of `gzip -9n -c < a->path`, with no shell in between
 * (so no quoting of the path). */
static int gzip_file(asset_t *a)
{
    char *argv[] = {"gzip", "-9n", "-c", NULL};
    posix_spawn_file_actions_t fa;
    int fds[2], status = 0, rc, err;
    pid_t pid;

    if (pipe(fds) != 0) {
        return fail(a->path, strerror(errno));
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, a->path, O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    err = posix_spawnp(&pid, "gzip", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (err != 0) {
        close(fds[0]);
        return fail(a->path, "cannot run gzip");
    }
    rc = read_all(&a->gz, &a->gz_len, fds[0], a->path);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || a->gz_len < 18 ||
                    a->gz[0] != 0x1f || a->gz[1] != 0x8b)) {
        return fail(a->path, "gzip -9n failed");
    }
    return rc;
}

static int hash(asset_t *a)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    if (EVP_Digest(a->raw, a->raw_len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        return fail(a->path, "SHA-256 failed (OpenSSL)");
    }
    for (i = 0; i < n; ++i) {
        snprintf(a->version + 2 * i, 3, "%02x", md[i]);
    }
    return 0;
}

static void emit_bytes(FILE *out, const char *what, size_t i, const unsigned char *b, size_t n)
{
    size_t k;

    fprintf(out, "\nstatic const unsigned char %s%zu[] = {", what, i);
    for (k = 0; k < n; ++k) {
        fprintf(out, "%s0x%02x,", k % 12 ? " " : "\n    ", b[k]);
    }
    /* C has no empty array: an empty file gets one byte it never serves. */
    fputs(n ? "\n};\n" : "0};\n", out);
}

static int emit(FILE *out, const asset_t *as, size_t n)
{
    size_t i;

    fputs("/* Generated by tools/nxs-embed from mod_nexte_slack/web/ (apxs.mk): do not edit,\n"
          " * do not commit.  The table of handle/nxs_assets.h. */\n"
          "#include \"handle/nxs_assets.h\"\n",
          out);
    for (i = 0; i < n; ++i) {
        emit_bytes(out, "raw", i, as[i].raw, as[i].raw_len);
        emit_bytes(out, "gz", i, as[i].gz, as[i].gz_len);
    }
    fputs("\nconst nxs_asset_t nxs_assets_table[] = {\n", out);
    for (i = 0; i < n; ++i) {
        fprintf(out,
                "    {.name = \"%s\", .content_type = \"%s\", .raw = raw%zu, .raw_len = %zu,\n"
                "     .gz = gz%zu, .gz_len = %zu, .version = \"%s\"},\n",
                as[i].name, as[i].type, i, as[i].raw_len, i, as[i].gz_len, as[i].version);
    }
    fputs("    {.name = NULL, .content_type = NULL, .raw = NULL, .raw_len = 0, .gz = NULL,\n"
          "     .gz_len = 0, .version = NULL},\n};\n",
          out);
    return ferror(out) ? -1 : 0;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const asset_t *)x)->name, ((const asset_t *)y)->name);
}

/* Writes the table to OUT_PATH through a temporary file renamed into place,
 * so that a failed run never leaves a file make would take as up to date. */
static int write_table(const char *out_path, const asset_t *as, size_t n)
{
    size_t len = strlen(out_path) + sizeof(".tmp");
    char *tmp = malloc(len);
    FILE *out;
    int rc;

    if (!tmp) {
        return fail(out_path, "out of memory");
    }
    snprintf(tmp, len, "%s.tmp", out_path);
    if (!(out = fopen(tmp, "w"))) {
        rc = fail(tmp, strerror(errno));
    } else {
        rc = emit(out, as, n);
        rc = fclose(out) != 0 || rc != 0 ? fail(tmp, "cannot write") : 0;
        if (rc == 0 && rename(tmp, out_path) != 0) {
            rc = fail(out_path, strerror(errno));
        }
        if (rc != 0) {
            remove(tmp);
        }
    }
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    asset_t *as;
    size_t n, i;
    int rc = 0;

    if (argc < 3 || strcmp(argv[1], "-o") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    n = (size_t)(argc - 3);
    if (!(as = calloc(n + 1, sizeof(*as)))) {
        fail(argv[2], "out of memory");
        return 1;
    }
    for (i = 0; i < n && rc == 0; ++i) {
        as[i].path = argv[i + 3];
        as[i].name = base_name(as[i].path);
        rc = check_name(&as[i]) || read_file(&as[i]) || find_type(&as[i]) || gzip_file(&as[i]) ||
             hash(&as[i]);
    }
    if (rc == 0) {
        qsort(as, n, sizeof(*as), by_name);
        for (i = 1; i < n && rc == 0; ++i) {
            if (strcmp(as[i - 1].name, as[i].name) == 0) {
                rc = fail(as[i].path, "two files have this name");
            }
        }
    }
    if (rc == 0) {
        rc = write_table(argv[2], as, n);
    }
    for (i = 0; i < n; ++i) {
        free(as[i].raw);
        free(as[i].gz);
    }
    free(as);
    return rc == 0 ? 0 : 1;
}
