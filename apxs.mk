# Builds mod_nexte_slack.so with apxs, the httpd-free core as a static
# library, the command-line tools, and the C unit tests (plain and under
# AddressSanitizer + UBSan).
#
#   make -f apxs.mk            module + tools + unit tests
#   make -f apxs.mk unit       run the unit tests (TAP, through prove)
#   make -f apxs.mk unit-asan  the same tests built with -fsanitize=address,undefined
#   make -f apxs.mk unit-valgrind  the same tests under valgrind --leak-check=full
#   make -f apxs.mk install    copy the module into apxs' LIBEXECDIR
#
# Sources: mod_nexte_slack/core/ and its subsystem folders never include
# httpd headers; the glue (mod_nexte_slack/*.c, cfg/, handle/, daemon/) does.
# Core file names are unique across its folders (objects are named by them).  Every file matching those
# wildcards is built, so adding a source file needs no edit here.  The same
# holds for the settings page's files in mod_nexte_slack/web/: each is
# embedded in the module (tools/nxs-embed writes them into a generated glue
# source, $(OUT)/gen/nxs_assets_data.c).

APXS      ?= apxs
CC        ?= cc
OUT       := build/out
PKGS      := apr-1 apr-util-1 jansson libcurl openssl icu-uc icu-i18n

WARN      := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter \
             -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
DEFS      := -D_GNU_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
INCLUDES  := -Imod_nexte_slack/core -Imod_nexte_slack

CORE_SRC  := $(sort $(wildcard mod_nexte_slack/core/*.c mod_nexte_slack/core/*/*.c))
CORE_HDR  := $(sort $(wildcard mod_nexte_slack/core/*.h mod_nexte_slack/core/*/*.h))
GLUE_SRC  := $(sort $(wildcard mod_nexte_slack/*.c mod_nexte_slack/cfg/*.c mod_nexte_slack/handle/*.c mod_nexte_slack/daemon/*.c))
GLUE_HDR  := $(sort $(wildcard mod_nexte_slack/*.h mod_nexte_slack/cfg/*.h mod_nexte_slack/handle/*.h mod_nexte_slack/daemon/*.h))
TOOL_SRC  := $(sort $(wildcard tools/*.c))
TEST_SRC  := $(sort $(wildcard t/unit/test_*.c))
# Glue unit tests: the real glue objects linked with an httpd stub instead of
# httpd (t/unit/stub/), built per mode like the core.  nxs_dbd.c and
# handle/nxs_daemon_client.c reach SQL and the daemon's socket: the tests link
# fakes of them (t/unit/stub/fake_*.c) instead.
GLUE_TEST_SRC := $(sort $(wildcard t/unit/glue/test_*.c))
STUB_SRC  := $(sort $(wildcard t/unit/stub/*.c))
STUB_HDR  := $(sort $(wildcard t/unit/stub/*.h t/unit/glue/*.h))
GLUE_FAKED := mod_nexte_slack/nxs_dbd.c mod_nexte_slack/handle/nxs_daemon_client.c
# The settings page's files, embedded by a generated source (see below) that
# the module and the glue tests compile like any glue source.
WEB_DIR   := mod_nexte_slack/web
WEB_FILES := $(sort $(wildcard $(WEB_DIR)/*))
ASSETS_C  := $(OUT)/gen/nxs_assets_data.c
EMBED     := $(OUT)/nxs-embed
GLUE_LINKED := $(filter-out $(GLUE_FAKED),$(GLUE_SRC)) $(ASSETS_C)
# httpd's include flags, asked of apxs once and only when a glue test is built.
HTTPD_CFLAGS = $(eval HTTPD_CFLAGS := -I$(shell $(APXS) -q INCLUDEDIR) \
                   $(shell $(APXS) -q EXTRA_CPPFLAGS))$(HTTPD_CFLAGS)

VERSION   := $(shell cat VERSION)
GIT_REV   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DEFS := -DNXS_VERSION_TOKEN=$(VERSION) -DNXS_REV_TOKEN=$(GIT_REV)

# The module: apxs/libtool compile every source into one DSO.
MODULE    := $(OUT)/mod_nexte_slack.so

.PHONY: all module tools tests unit unit-asan unit-valgrind install clean format-check

all: module tools tests

module: $(MODULE)

$(MODULE): $(CORE_SRC) $(GLUE_SRC) $(CORE_HDR) $(GLUE_HDR) $(ASSETS_C) VERSION
	@mkdir -p $(OUT)/apxs
	rm -rf $(OUT)/apxs/*
	@cp --parents $(CORE_SRC) $(GLUE_SRC) $(CORE_HDR) $(GLUE_HDR) $(ASSETS_C) $(OUT)/apxs/
	@cd $(OUT)/apxs && $(APXS) -c -n nexte_slack -o mod_nexte_slack.la \
	    $(addprefix -Wc$(comma),$(WARN) $(DEFS) $(BUILD_DEFS)) \
	    $(addprefix -I,$(abspath mod_nexte_slack/core mod_nexte_slack)) \
	    $(PKG_CFLAGS) $(PKG_LIBS) $(CORE_SRC) $(GLUE_SRC) $(ASSETS_C) >build.log 2>&1 \
	    || { cat build.log; exit 1; }
	@! grep -E ': (warning|error):' $(OUT)/apxs/build.log
	@# Replace the file by rename, never by writing into it: a running httpd
	@# maps the old one, and rewriting a mapped DSO in place crashes it (SIGBUS).
	cp $(OUT)/apxs/mod_nexte_slack/.libs/mod_nexte_slack.so $@.tmp 2>/dev/null \
	    || cp $(OUT)/apxs/.libs/mod_nexte_slack.so $@.tmp
	mv -f $@.tmp $@

comma := ,

# The asset table: regenerated when a file of web/ changes, and when one is
# added or removed (that changes the folder's mtime, a prerequisite).  The
# generator needs only libcrypto, not the core.
$(EMBED): tools/nxs-embed.c
	@mkdir -p $(OUT)
	$(CC) $(WARN) $(DEFS) $(PLAIN_FLAGS) $(shell pkg-config --cflags libcrypto) $< \
	    $(shell pkg-config --libs libcrypto) -o $@

$(ASSETS_C): $(EMBED) $(WEB_FILES) $(WEB_DIR)
	@mkdir -p $(dir $@)
	$(EMBED) -o $@ $(WEB_FILES)

# The core as a static library, for tools and unit tests (plain and ASan).
define core_lib
$(OUT)/$(1)/libnxscore.a: $(CORE_SRC) $(CORE_HDR) VERSION
	@mkdir -p $(OUT)/$(1)/core
	set -e; for f in $(CORE_SRC); do \
	    $(CC) $(WARN) $(DEFS) $(BUILD_DEFS) $(2) $(INCLUDES) $(PKG_CFLAGS) \
	        -c $$$$f -o $(OUT)/$(1)/core/$$$$(basename $$$$f .c).o; done
	rm -f $$@ && ar rcs $$@ $(foreach f,$(CORE_SRC),$(OUT)/$(1)/core/$(basename $(notdir $(f))).o)
endef

PLAIN_FLAGS := -g -O2 -fPIC
ASAN_FLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

$(eval $(call core_lib,plain,$(PLAIN_FLAGS)))
$(eval $(call core_lib,asan,$(ASAN_FLAGS)))

TOOLS        := $(patsubst tools/%.c,$(OUT)/%,$(TOOL_SRC))
TESTS_PLAIN  := $(patsubst t/unit/%.c,$(OUT)/plain/t/%,$(TEST_SRC) $(GLUE_TEST_SRC))
TESTS_ASAN   := $(patsubst t/unit/%.c,$(OUT)/asan/t/%,$(TEST_SRC) $(GLUE_TEST_SRC))

tools: $(TOOLS)
tests: $(TESTS_PLAIN)

$(OUT)/%: tools/%.c $(OUT)/plain/libnxscore.a
	$(CC) $(WARN) $(DEFS) $(PLAIN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) $< \
	    $(OUT)/plain/libnxscore.a $(PKG_LIBS) -o $@

$(OUT)/plain/t/%: t/unit/%.c t/unit/nxs_test.h $(OUT)/plain/libnxscore.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(PLAIN_FLAGS) $(INCLUDES) -It/unit $(PKG_CFLAGS) $< \
	    $(OUT)/plain/libnxscore.a $(PKG_LIBS) -lcmocka -o $@

$(OUT)/asan/t/%: t/unit/%.c t/unit/nxs_test.h $(OUT)/asan/libnxscore.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(ASAN_FLAGS) $(INCLUDES) -It/unit $(PKG_CFLAGS) $< \
	    $(OUT)/asan/libnxscore.a $(PKG_LIBS) -lcmocka -o $@

# The glue and the stub for the glue tests, one object per source (under
# $(OUT)/<mode>/glue/<source path>.o), then one archive of each.
define glue_lib
$(OUT)/$(1)/glue/%.o: %.c $(CORE_HDR) $(GLUE_HDR) $(STUB_HDR) VERSION
	@mkdir -p $$(dir $$@)
	$(CC) $(WARN) $(DEFS) $(BUILD_DEFS) $(2) $(INCLUDES) -It/unit $$(HTTPD_CFLAGS) $(PKG_CFLAGS) \
	    -c $$< -o $$@

$(OUT)/$(1)/libnxsglue.a: $(patsubst %.c,$(OUT)/$(1)/glue/%.o,$(GLUE_LINKED))
	rm -f $$@ && ar rcs $$@ $$^

$(OUT)/$(1)/libnxsstub.a: $(patsubst %.c,$(OUT)/$(1)/glue/%.o,$(STUB_SRC))
	rm -f $$@ && ar rcs $$@ $$^

$(OUT)/$(1)/t/glue/%: t/unit/glue/%.c t/unit/nxs_test.h $(STUB_HDR) $(OUT)/$(1)/libnxsstub.a \
        $(OUT)/$(1)/libnxsglue.a $(OUT)/$(1)/libnxscore.a
	@mkdir -p $$(dir $$@)
	$(CC) $(WARN) $(DEFS) $(BUILD_DEFS) $(2) $(INCLUDES) -It/unit -It/unit/stub $$(HTTPD_CFLAGS) \
	    $(PKG_CFLAGS) \
	    $$< $$(GLUE_REAL) -Wl,--start-group $(OUT)/$(1)/libnxsstub.a $(OUT)/$(1)/libnxsglue.a \
	    $(OUT)/$(1)/libnxscore.a -Wl,--end-group $(PKG_LIBS) -lcmocka -o $$@

# Two tests link a real file instead of its fake, which it then replaces:
# test_glue_dbd nxs_dbd.c (against a mod_dbd stub), test_glue_daemon_client
# nxs_daemon_client.c (against the daemon's connection task on a socket).
$(OUT)/$(1)/t/glue/test_glue_dbd: $(OUT)/$(1)/glue/mod_nexte_slack/nxs_dbd.o
$(OUT)/$(1)/t/glue/test_glue_dbd: GLUE_REAL = $(OUT)/$(1)/glue/mod_nexte_slack/nxs_dbd.o
$(OUT)/$(1)/t/glue/test_glue_daemon_client: \
        $(OUT)/$(1)/glue/mod_nexte_slack/handle/nxs_daemon_client.o
$(OUT)/$(1)/t/glue/test_glue_daemon_client: \
        GLUE_REAL = $(OUT)/$(1)/glue/mod_nexte_slack/handle/nxs_daemon_client.o
# test_glue_deliver decides when the worker pool refuses a task.
$(OUT)/$(1)/t/glue/test_glue_deliver: GLUE_REAL = -Wl,--wrap=apr_thread_pool_push
endef

$(eval $(call glue_lib,plain,$(PLAIN_FLAGS)))
$(eval $(call glue_lib,asan,$(ASAN_FLAGS)))

# test_config_merge compiles the generated create/merge (httpd-free glue) in.
$(OUT)/plain/t/test_config_merge $(OUT)/asan/t/test_config_merge: \
    mod_nexte_slack/cfg/nxs_config_merge.c mod_nexte_slack/cfg/nxs_config_fields.h

# Unit tests print TAP (cmocka's TAP output); prove runs them.
unit: $(TESTS_PLAIN)
	prove -f -e '' $(TESTS_PLAIN)

unit-asan: $(TESTS_ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    prove -f -e '' $(TESTS_ASAN)

unit-valgrind: $(TESTS_PLAIN)
	prove -f -e 'valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99' $(TESTS_PLAIN)

install: $(MODULE)
	install -m 0644 $(MODULE) $(DESTDIR)$(shell $(APXS) -q LIBEXECDIR)/mod_nexte_slack.so

# Every C file of the repository, bench and test harnesses included, keeps
# the committed .clang-format style (build/run-tests runs this first).
FORMAT_SRC := $(CORE_SRC) $(CORE_HDR) $(GLUE_SRC) $(GLUE_HDR) $(TOOL_SRC) \
              $(sort $(wildcard t/unit/*.[ch] t/unit/*/*.[ch] t/fuzz/*.[ch] t/crash/*.[ch] \
                                bench/*/*.[ch]))

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf $(OUT)
