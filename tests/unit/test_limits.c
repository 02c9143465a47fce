/*
 * test_limits.c - the documented limits are the engine's limits.
 *
 * personas/README.md has the one table of limits ("## Limits"); this
 * test reads it and checks every number that rp_limits_get() reports
 * against the row that documents it, so that changing either without
 * the other fails.  Quantities are read as written there: "4 MiB",
 * "16 KiB", "20,000", "match limit 100,000".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport.h"

/* The "## Limits" section of personas/README.md, NUL-terminated. */
static char *limits_section(void)
{
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    char path[512];
    static char text[1 << 16];
    size_t n;
    FILE *f;
    char *start, *end;

    snprintf(path, sizeof path, "%s/personas/README.md", srcdir ? srcdir : ".");
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    start = strstr(text, "\n## Limits\n");
    assert_non_null(start);
    start++;
    end = strstr(start + 1, "\n## ");
    if (end != NULL)
        *end = '\0';
    return start;
}

/* The text of the table row whose first cell is what (the second cell
 * on), or fail. */
static const char *row(const char *section, const char *what)
{
    static char cell[512];
    char key[128];
    const char *p, *e;

    snprintf(key, sizeof key, "\n| %s |", what);
    p = strstr(section, key);
    if (p == NULL)
        fail_msg("personas/README.md: no '%s' row under ## Limits", what);
    p += strlen(key);
    e = strchr(p, '\n');
    assert_non_null(e);
    snprintf(cell, sizeof cell, "%.*s", (int)(e - p), p);
    return cell;
}

/* The quantity after label in s ("" for the first one), in bytes when
 * a unit follows ("KiB", "MiB"): "20,000" is 20000, "4 MiB" 4194304. */
static unsigned long long quantity(const char *s, const char *label)
{
    unsigned long long v = 0;
    const char *p = *label ? strstr(s, label) : s;
    bool any = false;

    if (p == NULL)
        fail_msg("no '%s' in '%s'", label, s);
    p += strlen(label);
    while (*p != '\0' && !isdigit((unsigned char)*p))
        p++;
    for (; isdigit((unsigned char)*p) || *p == ','; p++)
        if (*p != ',') {
            v = v * 10 + (unsigned)(*p - '0');
            any = true;
        }
    if (!any)
        fail_msg("no number after '%s' in '%s'", label, s);
    while (*p == ' ')
        p++;
    if (strncmp(p, "KiB", 3) == 0)
        v <<= 10;
    else if (strncmp(p, "MiB", 3) == 0)
        v <<= 20;
    return v;
}

static void test_documented_limits(void **state)
{
    (void)state;
    const rp_limits *l = rp_limits_get();
    const char *s = limits_section();

    assert_int_equal(quantity(row(s, "persona file size"), ""),
                     l->max_file_size);
    assert_int_equal(quantity(row(s, "YAML nesting depth"), ""), l->max_depth);
    assert_int_equal(quantity(row(s, "YAML aliases"), ""), l->max_aliases);
    assert_int_equal(quantity(row(s, "included files"), ""), l->max_includes);
    assert_int_equal(quantity(row(s, "rules"), ""), l->max_rules);
    assert_int_equal(quantity(row(s, "learner line"), ""), l->max_input);
    assert_int_equal(quantity(row(s, "PCRE2"), "match limit"), l->match_limit);
    assert_int_equal(quantity(row(s, "PCRE2"), "depth limit"), l->depth_limit);
    assert_int_equal(quantity(row(s, "PCRE2"), "heap"),
                     (unsigned long long)l->heap_limit_kb << 10);
}

/* The value of "#define name (1u << N)" in the source file path. */
static unsigned long long source_define(const char *path, const char *name)
{
    const char *srcdir = getenv("RAPPORT_SRCDIR");
    char full[512], line[512], key[128];
    unsigned shift;
    FILE *f;

    snprintf(full, sizeof full, "%s/%s", srcdir ? srcdir : ".", path);
    snprintf(key, sizeof key, "#define %s (1u << %%u)", name);
    f = fopen(full, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, key, &shift) == 1) {
            fclose(f);
            return 1ull << shift;
        }
    fclose(f);
    fail_msg("%s: no '#define %s (1u << N)'", path, name);
    return 0;
}

/* The program's own limits, from the tools' sources (they are not part
 * of the engine's API). */
static void test_documented_tool_limits(void **state)
{
    (void)state;
    const char *s = limits_section();

    assert_int_equal(quantity(row(s, "line piped to `rapport chat` or `score "
                                     "-`"),
                              ""),
                     source_define("tools/tools.h", "LINE_READ_MAX"));
    assert_int_equal(quantity(row(s, "`rapport test` script"), ""),
                     source_define("tools/test.c", "TEST_MAX_FILE"));
}

/* The parser itself, so that a wrong reading cannot pass by accident. */
static void test_quantity(void **state)
{
    (void)state;
    assert_int_equal(quantity("| 4 MiB per file |", ""), 4u << 20);
    assert_int_equal(quantity("16 KiB read", ""), 16384);
    assert_int_equal(quantity("20,000 per persona", ""), 20000);
    assert_int_equal(
        quantity("match limit 100,000; depth limit 5,000", "depth limit"),
        5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_documented_limits),
        cmocka_unit_test(test_documented_tool_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
