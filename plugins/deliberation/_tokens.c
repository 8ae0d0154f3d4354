/* The deliberation scorer's tokenisation of an ASCII text, in C (issue #4).
 *
 * scan(low, step_words, step_firsts, goal_words, head_words)
 *     -> (steps, step_chars, off_topic, present, joined)
 *
 * Exactly what the pure-Python path of bastion.plugins.deliberation.scoring computes from
 * a lower-cased text (``_scan_python``), for texts that are all ASCII; the caller keeps the
 * Python path for every other text. tests/test_deliberation_native.py compares the two on
 * generated texts. Definitions (ASCII restrictions of Python's str semantics):
 *
 *   line break   \n \r \v \f \x1c \x1d \x1e     (str.splitlines)
 *   space        \t \n \v \f \r \x1c-\x1f ' '   (str.isspace, the regex \s)
 *   list item    ^\s*(?:\d+[.)]|[-*])\s+        (scoring._LIST_ITEM)
 *   segment      a stripped list-item line, or the stripped pieces of any other line cut
 *                after '.', '!' or '?' followed by a space (the space dropped) and at NUL
 *   word         a run of [A-Za-z0-9'-]          (scoring.words_of)
 *
 * Distinct words are interned through a small open-addressing table, so a text of n words
 * with d distinct ones creates d Python strings, not n.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static inline int is_space(unsigned char c) {
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31);
}

static inline int is_line_break(unsigned char c) {
    return c == '\n' || c == '\r' || c == 11 || c == 12 || (c >= 28 && c <= 30);
}

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline int is_word(unsigned char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || (c >= 'A' && c <= 'Z') || c == '\''
        || c == '-';
}

/* ^\s*(?:\d+[.)]|[-*])\s+ over p[s:e] (no backtracking can change the outcome: the
 * alternatives start with a non-space, and digits are never '.' or ')'). */
static int is_list_item(const unsigned char *p, Py_ssize_t s, Py_ssize_t e) {
    Py_ssize_t i = s;
    while (i < e && is_space(p[i])) i++;
    if (i < e && (p[i] == '-' || p[i] == '*')) {
        i++;
    } else {
        Py_ssize_t digits = i;
        while (i < e && is_digit(p[i])) i++;
        if (i == digits || i >= e || (p[i] != '.' && p[i] != ')')) return 0;
        i++;
    }
    return i < e && is_space(p[i]);
}

typedef struct {
    Py_ssize_t off, len;
    uint64_t hash;
    PyObject *word;   /* owned */
    int in_goal, is_step;
    PyObject *group;  /* borrowed from step_firsts: phrases starting with this word */
} Entry;

typedef struct {
    const unsigned char *text;
    PyObject *step_words, *step_firsts, *goal_words;
    Entry *entries;
    Py_ssize_t count;
    Py_ssize_t *slots;  /* index + 1 into entries; 0 = empty */
    size_t mask;
} Table;

static uint64_t fnv1a(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* The entry of the word p[off:off+len], made on first sight; NULL on error. */
static Entry *intern_word(Table *t, Py_ssize_t off, Py_ssize_t len) {
    const unsigned char *w = t->text + off;
    uint64_t h = fnv1a(w, len);
    size_t slot = (size_t)h & t->mask;
    while (t->slots[slot]) {
        Entry *e = &t->entries[t->slots[slot] - 1];
        if (e->hash == h && e->len == len && memcmp(t->text + e->off, w, len) == 0) return e;
        slot = (slot + 1) & t->mask;
    }
    PyObject *word = PyUnicode_New(len, 127);
    if (word == NULL) return NULL;
    memcpy(PyUnicode_1BYTE_DATA(word), w, len);
    Entry *e = &t->entries[t->count];
    *e = (Entry){off, len, h, word, 0, 0, NULL};
    t->count++;
    t->slots[slot] = t->count;
    if ((e->in_goal = PySet_Contains(t->goal_words, word)) < 0) return NULL;
    if ((e->is_step = PySet_Contains(t->step_words, word)) < 0) return NULL;
    e->group = PyDict_GetItemWithError(t->step_firsts, word);
    if (e->group == NULL && PyErr_Occurred()) return NULL;
    if (e->group != NULL && !PyTuple_Check(e->group)) {
        PyErr_SetString(PyExc_TypeError, "step_firsts values must be tuples of str");
        return NULL;
    }
    return e;
}

/* Whether " w0 w1 ... " (the part's first words, already in head[0:n]) starts with one of
 * the group's " phrase " strings. */
static int head_starts(PyObject *group, const char *head, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(group); i++) {
        PyObject *phrase = PyTuple_GET_ITEM(group, i);
        Py_ssize_t plen;
        const char *p = PyUnicode_Check(phrase) ? PyUnicode_AsUTF8AndSize(phrase, &plen) : NULL;
        if (p == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "step phrases must be str");
            return -1;
        }
        if (plen <= n && memcmp(head, p, plen) == 0) return 1;
    }
    return 0;
}

typedef struct {
    Py_ssize_t steps, step_chars, off_topic;
    char *joined;       /* " w1 w2 ... wn " being built */
    Py_ssize_t joined_len;
    char *head;         /* scratch for head_starts */
    Py_ssize_t head_words;
    int has_goal;
} Totals;

/* One stripped, non-empty segment p[s:e]. */
static int scan_part(Table *t, Totals *out, Py_ssize_t s, Py_ssize_t e) {
    const unsigned char *p = t->text;
    Entry *first = NULL;
    Py_ssize_t head_len = 0, words = 0;
    int on_topic = 0;
    Py_ssize_t i = s;
    while (i < e) {
        while (i < e && !is_word(p[i])) i++;
        if (i >= e) break;
        Py_ssize_t start = i;
        while (i < e && is_word(p[i])) i++;
        Entry *entry = intern_word(t, start, i - start);
        if (entry == NULL) return -1;
        memcpy(out->joined + out->joined_len, p + start, i - start);
        out->joined_len += i - start;
        out->joined[out->joined_len++] = ' ';
        on_topic |= entry->in_goal;
        if (words == 0) {
            first = entry;
            out->head[head_len++] = ' ';
        }
        if (words < out->head_words) {
            memcpy(out->head + head_len, p + start, i - start);
            head_len += i - start;
            out->head[head_len++] = ' ';
        }
        words++;
    }
    int step = 0;
    if (first != NULL && first->is_step) {
        step = 1;
    } else if (first != NULL && first->group != NULL) {
        if ((step = head_starts(first->group, out->head, head_len)) < 0) return -1;
    }
    if (!step && (is_digit(p[s]) || p[s] == '-' || p[s] == '*') && is_list_item(p, s, e))
        step = 1;
    if (step) {
        out->steps++;
        out->step_chars += e - s;
    }
    if (out->has_goal && !on_topic) out->off_topic++;
    return 0;
}

static int scan_piece(Table *t, Totals *out, Py_ssize_t s, Py_ssize_t e) {
    const unsigned char *p = t->text;
    while (s < e && is_space(p[s])) s++;
    while (e > s && is_space(p[e - 1])) e--;
    return s < e ? scan_part(t, out, s, e) : 0;
}

static int scan_line(Table *t, Totals *out, Py_ssize_t s, Py_ssize_t e) {
    const unsigned char *p = t->text;
    if (is_list_item(p, s, e)) return scan_piece(t, out, s, e);
    Py_ssize_t start = s;
    for (Py_ssize_t i = s; i < e; i++) {
        unsigned char c = p[i];
        if (c == 0) {
            if (scan_piece(t, out, start, i) < 0) return -1;
            start = i + 1;
        } else if ((c == '.' || c == '!' || c == '?') && i + 1 < e && p[i + 1] == ' ') {
            if (scan_piece(t, out, start, i + 1) < 0) return -1;
            start = i + 2;
            i++;
        }
    }
    return scan_piece(t, out, start, e);
}

static PyObject *scan(PyObject *module, PyObject *args) {
    PyObject *low, *step_words, *step_firsts, *goal_words;
    Py_ssize_t head_words;
    if (!PyArg_ParseTuple(args, "UO!O!On:scan", &low, &PyFrozenSet_Type, &step_words,
                          &PyDict_Type, &step_firsts, &goal_words, &head_words))
        return NULL;
    if (!PyAnySet_Check(goal_words)) {
        PyErr_SetString(PyExc_TypeError, "goal_words must be a set or frozenset");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(low)) {
        PyErr_SetString(PyExc_ValueError, "scan takes an ASCII text");
        return NULL;
    }
    if (head_words < 1) head_words = 1;
    const unsigned char *text = PyUnicode_1BYTE_DATA(low);
    Py_ssize_t n = PyUnicode_GET_LENGTH(low);
    Py_ssize_t max_words = n / 2 + 1;
    size_t capacity = 8;
    while (capacity < (size_t)max_words * 2) capacity <<= 1;

    Table t = {text, step_words, step_firsts, goal_words, NULL, 0, NULL, capacity - 1};
    Totals out = {0, 0, 0, NULL, 1, NULL, head_words, PySet_GET_SIZE(goal_words) > 0};
    PyObject *result = NULL, *present = NULL, *joined = NULL;
    t.entries = PyMem_Malloc(sizeof(Entry) * max_words);
    t.slots = PyMem_Calloc(capacity, sizeof(Py_ssize_t));
    out.joined = PyMem_Malloc(n + 3);  /* every word but the last is followed by a separator */
    out.head = PyMem_Malloc(n + 3);
    if (!t.entries || !t.slots || !out.joined || !out.head) {
        PyErr_NoMemory();
        goto done;
    }
    out.joined[0] = ' ';

    Py_ssize_t line = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i == n || is_line_break(text[i])) {
            if (scan_line(&t, &out, line, i) < 0) goto done;
            line = i + 1;
        }
    }
    if (out.joined_len == 1) out.joined[out.joined_len++] = ' ';  /* no words: "  " */

    if ((present = PySet_New(NULL)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < t.count; i++)
        if (PySet_Add(present, t.entries[i].word) < 0) goto done;
    if ((joined = PyUnicode_New(out.joined_len, 127)) == NULL) goto done;
    memcpy(PyUnicode_1BYTE_DATA(joined), out.joined, out.joined_len);
    result = Py_BuildValue("nnnOO", out.steps, out.step_chars, out.off_topic, present, joined);

done:
    for (Py_ssize_t i = 0; t.entries && i < t.count; i++) Py_DECREF(t.entries[i].word);
    Py_XDECREF(present);
    Py_XDECREF(joined);
    PyMem_Free(t.entries);
    PyMem_Free(t.slots);
    PyMem_Free(out.joined);
    PyMem_Free(out.head);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(low, step_words, step_firsts, goal_words, head_words) -> (steps, step_chars, "
     "off_topic, present, joined) for an ASCII lower-cased text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tokens",
    "The deliberation scorer's tokenisation of ASCII texts, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__tokens(void) { return PyModule_Create(&module); }
