/*
 * gdbm_inspect.c - diagnose a GDBM file left behind by `primitives crash GDBM`
 * (run it with PRIM_KEEP=1 to keep the failed files). Links libgdbm directly,
 * because apr_dbm offers neither gdbm_needs_recovery nor gdbm_recover.
 *
 *   gdbm_inspect FILE [FIRST:]ACKED recover    gdbm_recover(), then count
 *                                              the acked keys
 *   gdbm_inspect FILE [FIRST:]ACKED truncate   cut the file to the header's
 *                                              next_block, reopen, count
 *
 * Both modes MODIFY FILE: work on a copy. ACKED is the number in the .ack
 * file (od -An -tu8 FILE.ack.failed-N); keys are "m%012u", FIRST..ACKED
 * (FIRST defaults to 1; for the mixed workload the records that must exist
 * are FIRST = (ACKED/64 - 7) * 64 + 1 .. ACKED).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <gdbm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long count_acked(GDBM_FILE f, unsigned long first, unsigned long acked)
{
    unsigned long have = 0;
    char k[32];
    for (unsigned long s = first; s <= acked; s++) {
        datum key;
        snprintf(k, sizeof(k), "m%012lu", s);
        key.dptr = k;
        key.dsize = 13;
        if (gdbm_exists(f, key))
            have++;
    }
    return have;
}

int main(int argc, char **argv)
{
    GDBM_FILE f;
    struct stat st;
    int64_t next_block = 0;
    unsigned long first = 1, acked;
    char *colon;
    int fd;

    if (argc != 4 || (strcmp(argv[3], "recover") && strcmp(argv[3], "truncate"))) {
        fprintf(stderr, "usage: gdbm_inspect FILE [FIRST:]ACKED recover|truncate\n");
        return 2;
    }
    acked = strtoul(argv[2], NULL, 10);
    if ((colon = strchr(argv[2], ':')) != NULL) {
        first = acked;
        acked = strtoul(colon + 1, NULL, 10);
    }
    fd = open(argv[1], O_RDWR);
    if (fd < 0 || fstat(fd, &st) != 0 || pread(fd, &next_block, 8, 32) != 8) {
        perror(argv[1]);
        return 1;
    }
    printf("file size %lld, header next_block %lld\n", (long long)st.st_size,
           (long long)next_block);
    if (strcmp(argv[3], "truncate") == 0 && st.st_size > next_block) {
        if (ftruncate(fd, next_block) != 0) {
            perror("ftruncate");
            return 1;
        }
        printf("truncated to next_block\n");
    }
    close(fd);

    f = gdbm_open(argv[1], 0, GDBM_WRITER, 0644, NULL);
    if (!f) {
        printf("gdbm_open: %s\n", gdbm_strerror(gdbm_errno));
        return 1;
    }
    printf("needs recovery after open: %s\n", gdbm_needs_recovery(f) ? "yes" : "no");
    if (strcmp(argv[3], "recover") == 0) {
        gdbm_recovery r;
        int rc;
        memset(&r, 0, sizeof(r));
        rc = gdbm_recover(f, &r, 0);
        printf("gdbm_recover: %s, %zu keys, %zu buckets recovered, %zu keys and %zu "
               "buckets failed\n",
               rc ? gdbm_strerror(gdbm_errno) : "ok", r.recovered_keys, r.recovered_buckets,
               r.failed_keys, r.failed_buckets);
    }
    printf("acked keys present: %lu of %lu\n", count_acked(f, first, acked),
           acked >= first ? acked - first + 1 : 0);
    if (gdbm_needs_recovery(f))
        printf("needs recovery now: yes (%s)\n", gdbm_strerror(gdbm_errno));
    gdbm_close(f);
    return 0;
}
