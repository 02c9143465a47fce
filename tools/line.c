/*
 * line.c - reading the learner's lines from a stream that is not a
 * terminal.
 *
 * `rapport chat` reads a scripted conversation from a pipe and `rapport
 * score -` reads one reply per line; both take whatever bytes arrive
 * (NULs and invalid UTF-8 included: the engine copes with content) and
 * both must stay bounded in memory when the input never ends a line.
 * Terminals are read with readline instead (chat.c).
 */
#include <errno.h>
#include <string.h>

#include "tools.h"

int line_read(FILE *f, struct buf *line, const char *cmd)
{
    size_t dropped = 0;
    bool any = false;
    int ch;

    buf_clear(line);
    buf_reserve(line, 0);
    while ((ch = getc(f)) != EOF) {
        any = true;
        if (ch == '\n')
            break;
        if (line->len < LINE_READ_MAX)
            buf_putc(line, ch);
        else
            dropped++;
    }
    if (!any) {
        /* (EINTR: a signal that chat.c handles ended the read.) */
        if (ferror(f) && errno != EINTR)
            msg_error(cmd, "cannot read standard input: %s", strerror(errno));
        return 0;
    }
    if (line->len > 0 && line->ptr[line->len - 1] == '\r')
        line->ptr[--line->len] = '\0';
    if (dropped > 0)
        msg_error(cmd, "a line of %zu bytes was cut to the first %u",
                  line->len + dropped, LINE_READ_MAX);
    return 1;
}
