/*
 * _fastblock: the per-line work of novatrace's block parser, in C with PCRE2 JIT.
 *
 * It runs the very regular expressions analyzer/parse/grammar.py compiles from
 * the files in grammars/ (record layouts, the DEBUG suffix, the context block, the event
 * rules), so the grammar files stay the single source of what a line means; the
 * pure-Python path in block.py is the reference and the fallback, and a test holds
 * both to the same output.  For one block of text it finds the records, splits their
 * headers, strips the DEBUG suffix, reads the context block, types each message by
 * its first word, writes the event's fields as JSON, and hands every column back as
 * Arrow string buffers (int32 offsets + UTF-8 data), so no Python object is made per
 * line.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Output columns, in this order (see fastpath.py COLUMNS). */
enum {
    C_TIMESTAMP, C_SYSLOG_TIMESTAMP, C_SOURCE_FILE, C_ALIAS, C_HOST, C_UNIT, C_PID, C_LEVEL,
    C_LOGGER, C_CONTEXT, C_INSTANCE, C_MESSAGE, C_REQUEST_ID, C_GLOBAL_REQUEST_ID, C_USER_ID,
    C_PROJECT_ID, C_FIELDS, C_CONTINUATION, C_TEMPLATE, C_KEY, N_COLUMNS
};

#define SUFFIX_WINDOW 1024
#define KIND_STR 0
#define KIND_INT 1
#define KIND_FLOAT 2

typedef struct {
    pcre2_code *code;
    int jit;
    int groups;       /* capture groups */
    int *column;      /* per group (1-based index - 1): output column, or -1 */
    int rest;         /* column that takes the rest of the line after the match, or -1 */
} Layout;

typedef struct {
    pcre2_code *code;
    int jit;
    int groups;
    PyObject *names;  /* tuple of bytes: JSON-quoted names, e.g. b'"seconds":' */
    int *kinds;       /* per group */
    char *needle;     /* required literal (wildcards), or NULL */
    Py_ssize_t needle_len;
    int *derive;      /* groups whose raw values form the record's derivation key */
    int n_derive;
} Pattern;

typedef struct {
    char *word;
    Py_ssize_t len;
    int *patterns;
    int count;
} WordEntry;

typedef struct {
    PyObject_HEAD
    Layout *layouts;
    int n_layouts;
    Pattern *patterns;
    int n_patterns;
    WordEntry *words;  /* sorted by bytes */
    int n_words;
    int *wildcards;
    int n_wildcards;
    int *multiline;
    int n_multiline;
    pcre2_code *suffix;        /* compiled ANCHORED: tried at candidate starts */
    int suffix_jit;
    pcre2_code *suffix_search; /* unanchored, when starts cannot be bounded */
    int suffix_search_jit;
    int suffix_first;          /* first character of every suffix match */
    int suffix_tries;          /* last N such characters can start it; 0: search all */
    pcre2_code *context;
    int context_jit;
    int context_column[8];  /* per context group: output column or -1 */
    int context_groups;
    int max_groups;
} Parser;

/* Match data of the parse running on this thread: parse() releases the GIL, so
   blocks can be parsed on several threads with one Parser. */
static _Thread_local pcre2_match_data *tls_match;

/* ------------------------------------------------------------------ buffers */

typedef struct {
    char *data;
    size_t len, cap;
} Bytes;

typedef struct {
    Bytes data;
    int32_t *offsets;
    size_t n, cap;
} Column;

static int bytes_reserve(Bytes *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int bytes_put(Bytes *b, const char *s, size_t n) {
    if (bytes_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int column_init(Column *c, size_t rows) {
    memset(c, 0, sizeof *c);
    c->cap = rows + 1;
    c->offsets = malloc(sizeof(int32_t) * c->cap);
    if (!c->offsets) return -1;
    c->offsets[0] = 0;
    return 0;
}

/* Close the current row: its value is everything put since the previous close. */
static int column_end_row(Column *c) {
    if (c->n + 2 > c->cap) {
        size_t cap = c->cap * 2;
        int32_t *o = realloc(c->offsets, sizeof(int32_t) * cap);
        if (!o) return -1;
        c->offsets = o;
        c->cap = cap;
    }
    c->n++;
    c->offsets[c->n] = (int32_t)c->data.len;
    return 0;
}

static void column_free(Column *c) {
    free(c->data.data);
    free(c->offsets);
}

/* ------------------------------------------------------------------ matching */

static int run(pcre2_code *code, int jit, const char *s, size_t n, pcre2_match_data *md) {
    int rc;
    if (jit)
        rc = pcre2_jit_match(code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    else
        rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, md, NULL);
    return rc;
}

static pcre2_code *compile(PyObject *source, uint32_t options, int *jit) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(source, &n);
    if (!s) return NULL;
    int err;
    PCRE2_SIZE at;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)s, (PCRE2_SIZE)n, options | PCRE2_UTF,
                                     &err, &at, NULL);
    if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(err, message, sizeof message);
        PyErr_Format(PyExc_ValueError, "PCRE2 cannot compile %R at %zu: %s", source, (size_t)at,
                     (char *)message);
        return NULL;
    }
    /* UTF without Unicode properties: \w, \d, \s are ASCII, as grammar.py compiles
       them for Python (re.ASCII). */
    *jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    return code;
}

static int group_count(pcre2_code *code) {
    uint32_t count = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
    return (int)count;
}

/* ------------------------------------------------------------------ JSON */

static const char HEX[] = "0123456789abcdef";

static int json_string(Bytes *out, const char *s, size_t n) {
    if (bytes_reserve(out, n + 2) < 0) return -1;
    out->data[out->len++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char buf[7];
        if (ch == '"') esc = "\\\"";
        else if (ch == '\\') esc = "\\\\";
        else if (ch == '\n') esc = "\\n";
        else if (ch == '\r') esc = "\\r";
        else if (ch == '\t') esc = "\\t";
        else if (ch == '\b') esc = "\\b";
        else if (ch == '\f') esc = "\\f";
        else if (ch < 0x20) {
            buf[0] = '\\'; buf[1] = 'u'; buf[2] = '0'; buf[3] = '0';
            buf[4] = HEX[ch >> 4]; buf[5] = HEX[ch & 15]; buf[6] = 0;
            esc = buf;
        }
        if (esc) {
            if (bytes_put(out, s + start, i - start) < 0) return -1;
            if (bytes_put(out, esc, strlen(esc)) < 0) return -1;
            start = i + 1;
        }
    }
    if (bytes_put(out, s + start, n - start) < 0) return -1;
    return bytes_put(out, "\"", 1);
}

static int json_int(Bytes *out, const char *s, size_t n) {
    /* INT is /-?[0-9]+/: drop leading zeros (JSON allows none), keep any size. */
    size_t i = 0;
    int negative = 0;
    if (i < n && s[i] == '-') { negative = 1; i++; }
    while (i + 1 < n && s[i] == '0') i++;
    if (i < n && s[i] == '0' && i + 1 == n) negative = 0;  /* -0 is 0 */
    if (negative && bytes_put(out, "-", 1) < 0) return -1;
    return bytes_put(out, s + i, n - i);
}

/* A DECIMAL field as Python's repr(float(text)) writes it: the shortest digits that
   read back to the same double, fixed notation for exponents -4..15.  Log values
   carry few digits, so 15 significant digits almost always read back; the zeros
   that pads them are dropped. */
static int json_float(Bytes *out, const char *s, size_t n) {
    char buf[64], text[64];
    if (n == 0 || n >= sizeof buf) return json_string(out, s, n);
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double value = strtod(buf, &end);
    if (end != buf + n || !isfinite(value)) return json_string(out, s, n);
    int precision = 15;
    for (; precision < 17; precision++) {
        snprintf(text, sizeof text, "%.*e", precision - 1, value);
        if (strtod(text, NULL) == value) break;
    }
    if (precision == 17) snprintf(text, sizeof text, "%.16e", value);
    char *mark = strchr(text, 'e');
    int exponent = atoi(mark + 1);
    int digits = 0;
    char *last = mark;
    while (last > text && last[-1] == '0') last--;  /* padding zeros of the mantissa */
    for (char *c = text; c < last; c++) digits += *c >= '0' && *c <= '9';
    if (digits == 0) digits = 1;
    if (exponent >= -4 && exponent < 16) {
        int decimals = digits - 1 - exponent;
        snprintf(text, sizeof text, "%.*f", decimals > 0 ? decimals : 1, value);
    } else {
        snprintf(text, sizeof text, "%.*e", digits - 1, value);
    }
    return bytes_put(out, text, strlen(text));
}

/* Fields of a successful event match, as a JSON object; nothing when it has none. */
static int write_fields(Parser *p, Pattern *pattern, const char *s, Bytes *out) {
    (void)p;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tls_match);
    int written = 0;
    for (int g = 1; g <= pattern->groups; g++) {
        if (ov[2 * g] == PCRE2_UNSET) continue;
        const char *value = s + ov[2 * g];
        size_t len = ov[2 * g + 1] - ov[2 * g];
        PyObject *name = PyTuple_GET_ITEM(pattern->names, g - 1);
        if (bytes_put(out, written ? "," : "{", 1) < 0) return -1;
        if (bytes_put(out, PyBytes_AS_STRING(name), (size_t)PyBytes_GET_SIZE(name)) < 0) return -1;
        int kind = pattern->kinds[g - 1];
        int rc = kind == KIND_INT ? json_int(out, value, len)
               : kind == KIND_FLOAT ? json_float(out, value, len)
               : json_string(out, value, len);
        if (rc < 0) return -1;
        written = 1;
    }
    if (written && bytes_put(out, "}", 1) < 0) return -1;
    return 0;
}

/* ------------------------------------------------------------------ templates */

/* Byte classes for templates: RE2's \s as mining.VARIABLE_TOKEN is matched by
   Arrow ([\t\n\f\r ]), and the characters that make a token variable. */
enum { K_OTHER = 0, K_SPACE = 1, K_VARIABLE = 2 };
static unsigned char byte_class[256];

static void init_classes(void) {
    const char *spaces = " \t\n\f\r";
    for (const char *c = spaces; *c; c++) byte_class[(unsigned char)*c] = K_SPACE;
    for (int c = '0'; c <= '9'; c++) byte_class[c] = K_VARIABLE;
    byte_class['/'] = byte_class['='] = K_VARIABLE;
}

/* The message with every token holding a digit, '/' or '=' replaced by <*>. */
static int write_template(Bytes *out, const char *s, size_t n) {
    if (bytes_reserve(out, n + 3) < 0) return -1;  /* a template is never longer */
    char *w = out->data + out->len;
    size_t i = 0;
    while (i < n) {
        unsigned char k = byte_class[(unsigned char)s[i]];
        if (k == K_SPACE) {
            *w++ = s[i++];
            continue;
        }
        size_t j = i;
        int variable = 0;
        while (j < n && (k = byte_class[(unsigned char)s[j]]) != K_SPACE) {
            variable |= k == K_VARIABLE;
            j++;
        }
        if (variable) {
            memcpy(w, "<*>", 3);
            w += 3;
        } else {
            memcpy(w, s + i, j - i);
            w += j - i;
        }
        i = j;
    }
    out->len = (size_t)(w - out->data);
    return 0;
}

/* ------------------------------------------------------------------ timestamps */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* `YYYY-MM-DD[ T]HH:MM:SS[.,]ffffff` as microseconds since the epoch (as times.py reads it). */
static int iso_micros(const char *s, size_t n, int64_t *out) {
    int y, mo, d, h, mi, se;
    if (n < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return 0;
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 || se > 59) return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    int64_t fraction = 0;
    if (n > 20) {  /* six digits after the separator, padded with zeros; else none */
        char buf[6] = {'0', '0', '0', '0', '0', '0'};
        size_t take = n - 20 < 6 ? n - 20 : 6;
        memcpy(buf, s + 20, take);
        int f;
        if (digits(buf, 6, &f)) fraction = f;
    }
    *out = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi) * 60 * 1000000LL +
           (int64_t)se * 1000000LL + fraction;
    return 1;
}

/* The derivation key: raw values of the pattern's `derive` groups, NUL-separated. */
static int write_key(Parser *p, Pattern *pattern, const char *s, Bytes *out) {
    (void)p;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tls_match);
    for (int k = 0; k < pattern->n_derive; k++) {
        int g = pattern->derive[k];
        if (k && bytes_put(out, "", 1) < 0) return -1;
        if (g < 1 || g > pattern->groups || ov[2 * g] == PCRE2_UNSET) continue;
        if (bytes_put(out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]) < 0) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ dispatch */

static WordEntry *find_word(Parser *p, const char *w, size_t n) {
    int lo = 0, hi = p->n_words - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        WordEntry *e = &p->words[mid];
        size_t m = (size_t)e->len < n ? (size_t)e->len : n;
        int c = memcmp(e->word, w, m);
        if (c == 0) c = (e->len > (Py_ssize_t)n) - (e->len < (Py_ssize_t)n);
        if (c == 0) return e;
        if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return NULL;
}

static int try_pattern(Parser *p, int index, const char *s, size_t n) {
    Pattern *pattern = &p->patterns[index];
    if (pattern->needle && (size_t)pattern->needle_len > n) return 0;
    if (pattern->needle && !memmem(s, n, pattern->needle, (size_t)pattern->needle_len)) return 0;
    return run(pattern->code, pattern->jit, s, n, tls_match) > 0;
}

/* The event pattern a message matches, or -1. */
static int type_message(Parser *p, const char *s, size_t n) {
    const char *space = memchr(s, ' ', n);
    size_t wlen = space ? (size_t)(space - s) : n;
    WordEntry *entry = find_word(p, s, wlen);
    if (entry) {
        for (int i = 0; i < entry->count; i++)
            if (try_pattern(p, entry->patterns[i], s, n)) return entry->patterns[i];
    }
    for (int i = 0; i < p->n_wildcards; i++)
        if (try_pattern(p, p->wildcards[i], s, n)) return p->wildcards[i];
    return -1;
}

/* ------------------------------------------------------------------ parse */

static PyObject *column_object(Column *c) {
    PyObject *offsets = PyBytes_FromStringAndSize((const char *)c->offsets,
                                                  (Py_ssize_t)(sizeof(int32_t) * (c->n + 1)));
    PyObject *data = PyBytes_FromStringAndSize(c->data.data ? c->data.data : "", (Py_ssize_t)c->data.len);
    if (!offsets || !data) {
        Py_XDECREF(offsets);
        Py_XDECREF(data);
        return NULL;
    }
    return Py_BuildValue("(NN)", offsets, data);
}

/* End of a DEBUG message once the leftmost suffix match ending it is cut off. */
static size_t strip_suffix(Parser *p, const char *line, size_t ms, size_t me) {
    if (p->suffix_tries > 0) {
        /* A match starts at one of the last `suffix_tries` occurrences of its first
           character: collect them, then try them left to right (leftmost wins). */
        size_t starts[16];
        int found = 0;
        for (size_t i = me; i > ms && found < p->suffix_tries; i--)
            if ((unsigned char)line[i - 1] == (unsigned char)p->suffix_first) starts[found++] = i - 1;
        for (int k = found - 1; k >= 0; k--) {
            size_t at = starts[k];
            if (run(p->suffix, p->suffix_jit, line + at, me - at, tls_match) > 0) return at;
        }
        return me;
    }
    size_t from = me - ms > SUFFIX_WINDOW ? me - SUFFIX_WINDOW : ms;
    int rc = run(p->suffix_search, p->suffix_search_jit, line + from, me - from, tls_match);
    return rc > 0 ? from + pcre2_get_ovector_pointer(tls_match)[0] : me;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\v' && s[i] != '\f') return 0;
    return 1;
}

/* Finish the open record once its continuation is known: a rule that spans lines
   (tried when no rule matched the message alone) sees the message and its
   continuation; then the continuation column gets the record's lines.  Returns -1
   on memory failure, 1 when multi-line rules were tried (the match data changed). */
static int close_record(Parser *p, Column *cols, Bytes *events, size_t records, const char *text,
                        int open_pattern, size_t msg_start, size_t cont_start, size_t cont_end) {
    int tried = 0;
    if (open_pattern < 0 && cont_end > cont_start && p->n_multiline) {
        tried = 1;
        for (int m = 0; m < p->n_multiline; m++) {
            int idx = p->multiline[m];
            if (!try_pattern(p, idx, text + msg_start, cont_end - msg_start)) continue;
            Column *f = &cols[C_FIELDS], *k = &cols[C_KEY];
            f->data.len = (size_t)f->offsets[f->n - 1];  /* redo the record's last row */
            f->n--;
            k->data.len = (size_t)k->offsets[k->n - 1];
            k->n--;
            if (write_fields(p, &p->patterns[idx], text + msg_start, &f->data) < 0 ||
                column_end_row(f) < 0 ||
                write_key(p, &p->patterns[idx], text + msg_start, &k->data) < 0 ||
                column_end_row(k) < 0)
                return -1;
            ((int32_t *)events->data)[records - 1] = idx;
            break;
        }
    }
    Column *c = &cols[C_CONTINUATION];
    if (cont_end > cont_start && bytes_put(&c->data, text + cont_start, cont_end - cont_start) < 0)
        return -1;
    if (column_end_row(c) < 0) return -1;
    return tried;
}

static PyObject *Parser_parse(Parser *p, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const char *text = view.buf;
    size_t size = (size_t)view.len;

    size_t rows_hint = 1024;
    Column cols[N_COLUMNS];
    Bytes lines = {0}, layouts = {0}, events = {0}, times = {0}, has_times = {0};
    int failed = 0;
    for (int i = 0; i < N_COLUMNS; i++)
        if (column_init(&cols[i], rows_hint) < 0) failed = 1;

    size_t line_no = 0, records = 0, longest = 0;
    pcre2_match_data *match = pcre2_match_data_create((uint32_t)p->max_groups + 1, NULL);
    if (!match) failed = 1;
    Py_ssize_t first_record = -1;  /* byte offset of the first record's line */
    /* The open record: where its continuation starts and ends (last non-blank line). */
    size_t cont_start = 0, cont_end = 0, msg_start = 0, msg_end = 0;
    int open = 0, open_pattern = -1;
    Py_ssize_t last_cont_start = -1;

    Py_BEGIN_ALLOW_THREADS
    tls_match = match;
    size_t pos = 0;
    while (!failed && pos <= size) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - text) : size;
        const char *line = text + pos;
        size_t len = end - pos;
        if (len > longest) longest = len;
        int matched = -1;
        for (int l = 0; l < p->n_layouts; l++) {
            if (run(p->layouts[l].code, p->layouts[l].jit, line, len, tls_match) > 0) {
                matched = l;
                break;
            }
        }
        if (matched >= 0) {
            if (open) {  /* close the previous record */
                int rc = close_record(p, cols, &events, records, text, open_pattern, msg_start,
                                      cont_start, cont_end);
                if (rc < 0) failed = 1;
                /* a rule spanning lines was tried: the new line's layout match is lost */
                if (rc > 0) run(p->layouts[matched].code, p->layouts[matched].jit, line, len, tls_match);
            } else {
                first_record = (Py_ssize_t)pos;
            }
            Layout *layout = &p->layouts[matched];
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tls_match);
            size_t spans[N_COLUMNS][2];
            for (int c = 0; c < N_COLUMNS; c++) spans[c][0] = spans[c][1] = 0;
            for (int g = 1; g <= layout->groups; g++) {
                int c = layout->column[g - 1];
                if (c >= 0 && ov[2 * g] != PCRE2_UNSET) {
                    spans[c][0] = ov[2 * g];
                    spans[c][1] = ov[2 * g + 1];
                }
            }
            if (layout->rest >= 0) {  /* a trailing `(?P<message>.*)`: the rest of the line */
                spans[layout->rest][0] = ov[1];
                spans[layout->rest][1] = len;
            }
            /* DEBUG lines: the suffix leaves the message */
            size_t ms = spans[C_MESSAGE][0], me = spans[C_MESSAGE][1];
            size_t ls = spans[C_LEVEL][0], le = spans[C_LEVEL][1];
            if (le - ls == 5 && memcmp(line + ls, "DEBUG", 5) == 0 && me > ms)
                me = strip_suffix(p, line, ms, me);
            for (int c = 0; c <= C_INSTANCE; c++) {
                if (spans[c][1] > spans[c][0] &&
                    bytes_put(&cols[c].data, line + spans[c][0], spans[c][1] - spans[c][0]) < 0)
                    failed = 1;
                if (column_end_row(&cols[c]) < 0) failed = 1;
            }
            if (bytes_put(&cols[C_MESSAGE].data, line + ms, me - ms) < 0 ||
                column_end_row(&cols[C_MESSAGE]) < 0) failed = 1;
            if (write_template(&cols[C_TEMPLATE].data, line + ms, me - ms) < 0 ||
                column_end_row(&cols[C_TEMPLATE]) < 0) failed = 1;
            int64_t micros = 0;
            uint8_t has_time = (uint8_t)iso_micros(line + spans[C_TIMESTAMP][0],
                                                   spans[C_TIMESTAMP][1] - spans[C_TIMESTAMP][0], &micros);
            if (bytes_put(&times, (const char *)&micros, sizeof micros) < 0 ||
                bytes_put(&has_times, (const char *)&has_time, 1) < 0) failed = 1;
            /* context block */
            size_t cs = spans[C_CONTEXT][0], ce = spans[C_CONTEXT][1];
            size_t ctx[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
            if (ce > cs && run(p->context, p->context_jit, line + cs, ce - cs, tls_match) > 0) {
                PCRE2_SIZE *cv = pcre2_get_ovector_pointer(tls_match);
                for (int g = 1; g <= p->context_groups && g < 8; g++) {
                    int c = p->context_column[g - 1];
                    if (c >= C_REQUEST_ID && c <= C_PROJECT_ID && cv[2 * g] != PCRE2_UNSET) {
                        ctx[c - C_REQUEST_ID][0] = cs + cv[2 * g];
                        ctx[c - C_REQUEST_ID][1] = cs + cv[2 * g + 1];
                    }
                }
            }
            for (int c = C_REQUEST_ID; c <= C_PROJECT_ID; c++) {
                size_t a = ctx[c - C_REQUEST_ID][0], b = ctx[c - C_REQUEST_ID][1];
                if (b > a && bytes_put(&cols[c].data, line + a, b - a) < 0) failed = 1;
                if (column_end_row(&cols[c]) < 0) failed = 1;
            }
            /* the event */
            int pattern = type_message(p, line + ms, me - ms);
            if (pattern >= 0 &&
                (write_fields(p, &p->patterns[pattern], line + ms, &cols[C_FIELDS].data) < 0 ||
                 write_key(p, &p->patterns[pattern], line + ms, &cols[C_KEY].data) < 0))
                failed = 1;
            if (column_end_row(&cols[C_FIELDS]) < 0 || column_end_row(&cols[C_KEY]) < 0) failed = 1;
            int64_t number = (int64_t)line_no;
            int8_t which = (int8_t)matched;
            int32_t event = pattern;
            if (bytes_put(&lines, (const char *)&number, sizeof number) < 0 ||
                bytes_put(&layouts, (const char *)&which, 1) < 0 ||
                bytes_put(&events, (const char *)&event, sizeof event) < 0) failed = 1;
            records++;
            open = 1;
            open_pattern = pattern;
            msg_start = pos + ms;
            msg_end = pos + me;
            (void)msg_end;
            cont_start = cont_end = nl ? end + 1 : end;
            last_cont_start = nl ? (Py_ssize_t)(end + 1) : -1;
        } else if (open && !is_blank(line, len)) {
            cont_end = end;
        }
        line_no++;
        if (!nl) break;
        pos = end + 1;
    }
    if (!failed && open &&
        close_record(p, cols, &events, records, text, open_pattern, msg_start, cont_start, cont_end) < 0)
        failed = 1;
    tls_match = NULL;
    Py_END_ALLOW_THREADS
    if (match) pcre2_match_data_free(match);

    PyObject *result = NULL;
    if (failed) {
        PyErr_NoMemory();
    } else {
        PyObject *columns = PyTuple_New(N_COLUMNS);
        int ok = columns != NULL;
        for (int i = 0; ok && i < N_COLUMNS; i++) {
            PyObject *c = column_object(&cols[i]);
            if (!c) ok = 0; else PyTuple_SET_ITEM(columns, i, c);
        }
        if (ok) {
            result = Py_BuildValue(
                "{s:n,s:n,s:N,s:y#,s:y#,s:y#,s:y#,s:y#,s:n,s:n,s:n}",  /* first_record, last_continuation: -1 if none */
                "lines", (Py_ssize_t)line_no, "records", (Py_ssize_t)records, "columns", columns,
                "line", lines.data ? lines.data : "", (Py_ssize_t)lines.len,
                "layout", layouts.data ? layouts.data : "", (Py_ssize_t)layouts.len,
                "event", events.data ? events.data : "", (Py_ssize_t)events.len,
                "time", times.data ? times.data : "", (Py_ssize_t)times.len,
                "has_time", has_times.data ? has_times.data : "", (Py_ssize_t)has_times.len,
                "first_record", first_record, "longest", (Py_ssize_t)longest,
                "last_continuation", last_cont_start);
        } else {
            Py_XDECREF(columns);
        }
    }
    for (int i = 0; i < N_COLUMNS; i++) column_free(&cols[i]);
    free(lines.data);
    free(layouts.data);
    free(events.data);
    free(times.data);
    free(has_times.data);
    PyBuffer_Release(&view);
    return result;
}

/* ------------------------------------------------------------------ setup */

static int read_int_list(PyObject *list, int **out, int *count) {
    Py_ssize_t n = PySequence_Size(list);
    if (n < 0) return -1;
    *out = calloc((size_t)n + 1, sizeof(int));
    if (!*out) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(list, i);
        if (!item) return -1;
        (*out)[i] = (int)PyLong_AsLong(item);
        Py_DECREF(item);
        if (PyErr_Occurred()) return -1;
    }
    *count = (int)n;
    return 0;
}

/*
 * Parser(layouts, suffix, context, context_columns, patterns, words, wildcards, multiline
 *        [, suffix_first, suffix_tries])
 *   layouts:  [(regex, [column per group][, rest column])]  in the order they are tried;
 *             with a rest column the regex omits a trailing `(?P<name>.*)` and that
 *             column takes the rest of the line after the match
 *   suffix:   regex of the DEBUG suffix (searched, ends the message)
 *   context:  regex of the context block; context_columns: column per group
 *   patterns: [(regex, [b'"name":' per group], [kind per group], needle or None,
 *               [group numbers of the derivation key])]
 *   words:    [(word bytes, [pattern index])]   first-word index
 *   wildcards, multiline: [pattern index]
 *   suffix_first, suffix_tries: every suffix match starts with this character, at one of
 *     its last `suffix_tries` occurrences (0: search the message instead)
 */
static int Parser_init(Parser *p, PyObject *args, PyObject *Py_UNUSED(kwds)) {
    PyObject *layouts, *suffix, *context, *context_columns, *patterns, *words, *wildcards, *multiline;
    int suffix_first = 0, suffix_tries = 0;
    if (!PyArg_ParseTuple(args, "OUUOOOOO|Ci", &layouts, &suffix, &context, &context_columns, &patterns,
                          &words, &wildcards, &multiline, &suffix_first, &suffix_tries))
        return -1;
    if (suffix_tries > 16) suffix_tries = 0;
    p->suffix_first = suffix_first;
    p->suffix_tries = suffix_first > 0 && suffix_first < 128 ? suffix_tries : 0;
    int max_groups = 0;

    Py_ssize_t n = PySequence_Size(layouts);
    p->layouts = calloc((size_t)n + 1, sizeof(Layout));
    p->n_layouts = (int)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(layouts, i);
        PyObject *source = PyTuple_GetItem(item, 0), *columns = PyTuple_GetItem(item, 1);
        Layout *l = &p->layouts[i];
        l->rest = PyTuple_GET_SIZE(item) > 2 ? (int)PyLong_AsLong(PyTuple_GetItem(item, 2)) : -1;
        l->code = compile(source, PCRE2_ANCHORED | (l->rest >= 0 ? 0 : PCRE2_ENDANCHORED), &l->jit);
        int count = 0;
        if (!l->code || read_int_list(columns, &l->column, &count) < 0) { Py_DECREF(item); return -1; }
        l->groups = group_count(l->code);
        if (count != l->groups) {
            Py_DECREF(item);
            PyErr_SetString(PyExc_ValueError, "layout columns do not match its groups");
            return -1;
        }
        if (l->groups > max_groups) max_groups = l->groups;
        Py_DECREF(item);
    }
    p->suffix = compile(suffix, PCRE2_ANCHORED, &p->suffix_jit);
    p->suffix_search = compile(suffix, 0, &p->suffix_search_jit);
    p->context = compile(context, PCRE2_ANCHORED | PCRE2_ENDANCHORED, &p->context_jit);
    if (!p->suffix || !p->suffix_search || !p->context) return -1;
    int *context_cols = NULL, count = 0;
    if (read_int_list(context_columns, &context_cols, &count) < 0) return -1;
    p->context_groups = group_count(p->context);
    for (int i = 0; i < 8; i++) p->context_column[i] = i < count ? context_cols[i] : -1;
    free(context_cols);
    if (p->context_groups > max_groups) max_groups = p->context_groups;

    n = PySequence_Size(patterns);
    p->patterns = calloc((size_t)n + 1, sizeof(Pattern));
    p->n_patterns = (int)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(patterns, i);
        Pattern *pt = &p->patterns[i];
        PyObject *source = PyTuple_GetItem(item, 0), *names = PyTuple_GetItem(item, 1);
        PyObject *kinds = PyTuple_GetItem(item, 2), *needle = PyTuple_GetItem(item, 3);
        PyObject *derive = PyTuple_GET_SIZE(item) > 4 ? PyTuple_GetItem(item, 4) : NULL;
        pt->code = compile(source, PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL, &pt->jit);
        if (!pt->code) { Py_DECREF(item); return -1; }
        pt->groups = group_count(pt->code);
        pt->names = PySequence_Tuple(names);
        int kcount = 0;
        if (!pt->names || read_int_list(kinds, &pt->kinds, &kcount) < 0) { Py_DECREF(item); return -1; }
        if (PyTuple_GET_SIZE(pt->names) != pt->groups || kcount != pt->groups) {
            Py_DECREF(item);
            PyErr_Format(PyExc_ValueError, "pattern %zd: names and kinds do not match its groups", i);
            return -1;
        }
        if (needle != Py_None) {
            char *s;
            Py_ssize_t len;
            if (PyBytes_AsStringAndSize(needle, &s, &len) < 0) { Py_DECREF(item); return -1; }
            pt->needle = malloc((size_t)len + 1);
            memcpy(pt->needle, s, (size_t)len);
            pt->needle_len = len;
        }
        if (derive && read_int_list(derive, &pt->derive, &pt->n_derive) < 0) { Py_DECREF(item); return -1; }
        if (pt->groups > max_groups) max_groups = pt->groups;
        Py_DECREF(item);
    }

    n = PySequence_Size(words);
    p->words = calloc((size_t)n + 1, sizeof(WordEntry));
    p->n_words = (int)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(words, i);
        char *s;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PyTuple_GetItem(item, 0), &s, &len) < 0) { Py_DECREF(item); return -1; }
        WordEntry *e = &p->words[i];
        e->word = malloc((size_t)len + 1);
        memcpy(e->word, s, (size_t)len);
        e->len = len;
        if (read_int_list(PyTuple_GetItem(item, 1), &e->patterns, &e->count) < 0) { Py_DECREF(item); return -1; }
        Py_DECREF(item);
    }
    if (read_int_list(wildcards, &p->wildcards, &p->n_wildcards) < 0) return -1;
    if (read_int_list(multiline, &p->multiline, &p->n_multiline) < 0) return -1;
    p->max_groups = max_groups;
    return 0;
}

static void Parser_dealloc(Parser *p) {
    for (int i = 0; i < p->n_layouts; i++) {
        pcre2_code_free(p->layouts[i].code);
        free(p->layouts[i].column);
    }
    free(p->layouts);
    for (int i = 0; i < p->n_patterns; i++) {
        pcre2_code_free(p->patterns[i].code);
        Py_XDECREF(p->patterns[i].names);
        free(p->patterns[i].kinds);
        free(p->patterns[i].needle);
        free(p->patterns[i].derive);
    }
    free(p->patterns);
    for (int i = 0; i < p->n_words; i++) {
        free(p->words[i].word);
        free(p->words[i].patterns);
    }
    free(p->words);
    free(p->wildcards);
    free(p->multiline);
    if (p->suffix) pcre2_code_free(p->suffix);
    if (p->suffix_search) pcre2_code_free(p->suffix_search);
    if (p->context) pcre2_code_free(p->context);
    Py_TYPE(p)->tp_free((PyObject *)p);
}

static PyMethodDef Parser_methods[] = {
    {"parse", (PyCFunction)Parser_parse, METH_VARARGS,
     "parse(utf8_bytes) -> dict: records of one block, columns as Arrow string buffers."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ParserType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "analyzer.parse._fastblock.Parser",
    .tp_basicsize = sizeof(Parser),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Parser_init,
    .tp_dealloc = (destructor)Parser_dealloc,
    .tp_methods = Parser_methods,
    .tp_doc = "Block parser over PCRE2-compiled grammar rules (see fastpath.py).",
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastblock", "novatrace's native block parser (PCRE2 JIT).", -1, NULL,
};

PyMODINIT_FUNC PyInit__fastblock(void) {
    init_classes();
    if (PyType_Ready(&ParserType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&ParserType);
    if (PyModule_AddObject(m, "Parser", (PyObject *)&ParserType) < 0) {
        Py_DECREF(&ParserType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
