/* The deliberation scorer's counting over an ASCII text, in C (issue #4).
 *
 * tally(text, flags, step_firsts, goal_words, head_words, conclusion_phrases,
 *       justification_phrases, issue_phrases)
 *     -> (steps, step_chars, off_topic, concluded, justified, issues, goal_hits, phase_hits)
 *
 * Exactly what the pure-Python path of bastion.plugins.deliberation.scoring computes
 * (``_tally_python``) for texts that are all ASCII; the caller keeps the Python path for
 * every other text. tests/test_deliberation_native.py compares the two on generated texts.
 *
 * ``flags`` maps each marker word to its roles (the F_* bits below, built once per settings
 * and phase by ``scoring._Matcher``); ``step_firsts`` maps the first word of each step
 * phrase to its " phrase " strings; the phrase tuples hold " phrase " strings of two or more
 * words. Definitions (ASCII restrictions of Python's str semantics):
 *
 *   line break   \n \r \v \f \x1c \x1d \x1e     (str.splitlines)
 *   space        \t \n \v \f \r \x1c-\x1f ' '   (str.isspace, the regex \s)
 *   list item    ^\s*(?:\d+[.)]|[-*])\s+        (scoring._LIST_ITEM)
 *   segment      a stripped list-item line, or the stripped pieces of any other line cut
 *                after '.', '!' or '?' followed by a space (the space dropped) and at NUL
 *   word         a run of [a-z0-9'-] of the lower-cased text (scoring.words_of)
 *   occurrences  of a word or phrase: what str.count finds in " w1 w2 ... wn " (the
 *                words space-joined): left to right, and a match after one that ended at
 *                word k starts at word k + 2 or later (the separating space was used)
 *
 * Distinct words are interned through a small open-addressing table (one Python string
 * each, for the lookups in ``flags`` and ``goal_words``, released at once); the text is kept
 * as a sequence of word numbers, and phrases are matched over that sequence, so a call
 * allocates no Python object per word and no joined copy of the text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { F_STEP = 1, F_STEP_FIRST = 2, F_CONCLUSION = 4, F_JUSTIFICATION = 8, F_ISSUE = 16,
       F_PHASE = 32 };

/* Character classes, one table lookup each (filled by init_classes). */
enum { C_SPACE = 1, C_BREAK = 2, C_DIGIT = 4, C_WORD = 8 };
static unsigned char CLASSES[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char k = 0;
        if (c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31)) k |= C_SPACE;
        if (c == '\n' || c == '\r' || c == 11 || c == 12 || (c >= 28 && c <= 30)) k |= C_BREAK;
        if (c >= '0' && c <= '9') k |= C_DIGIT;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (k & C_DIGIT) || c == '\''
            || c == '-')
            k |= C_WORD;
        CLASSES[c] = k;
    }
}

static inline int is_space(unsigned char c) { return CLASSES[c] & C_SPACE; }
static inline int is_line_break(unsigned char c) { return CLASSES[c] & C_BREAK; }
static inline int is_digit(unsigned char c) { return CLASSES[c] & C_DIGIT; }
static inline int is_word(unsigned char c) { return CLASSES[c] & C_WORD; }

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
    long flags;
    int in_goal;
    PyObject *group;  /* borrowed from step_firsts: phrases starting with this word */
} Entry;

typedef struct {
    const unsigned char *text;  /* the lower-cased copy */
    PyObject *flags, *step_firsts, *goal_words;
    int has_goal;
    Entry *entries;     /* capacity / 2 of them: the table is at most half full */
    Py_ssize_t count;
    Py_ssize_t *slots;  /* index + 1 into entries; 0 = empty */
    size_t mask;        /* capacity - 1 */
    int on_heap;        /* entries and slots were allocated (else: the caller's stack) */
} Table;

/* A word's hash: a rotate-and-xor per character (no multiplication on the per-character
 * path) and one mix at the end, which spreads it over the table's low bits. Equality is
 * always confirmed on the bytes. */
static inline uint64_t hash_step(uint64_t h, unsigned char c) {
    return ((h << 5) | (h >> 59)) ^ c;
}

static inline uint64_t hash_end(uint64_t h, Py_ssize_t len) {
    h ^= (uint64_t)len << 56;
    h ^= h >> 31;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

static uint64_t word_hash(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 0;
    for (Py_ssize_t i = 0; i < n; i++) h = hash_step(h, p[i]);
    return hash_end(h, n);
}

static inline int same_bytes(const unsigned char *a, const unsigned char *b, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* Doubles the table (a text with more distinct words than the stack table holds). Sized
 * to the words actually seen, not the text's length: zeroing a table for every word a
 * 2,000-character text could hold cost more than reading it. */
static int grow(Table *t) {
    size_t capacity = (t->mask + 1) * 2;
    Entry *entries = PyMem_Malloc(sizeof(Entry) * (capacity / 2));
    Py_ssize_t *slots = PyMem_Calloc(capacity, sizeof(Py_ssize_t));
    if (entries == NULL || slots == NULL) {
        PyMem_Free(entries);
        PyMem_Free(slots);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(entries, t->entries, sizeof(Entry) * t->count);
    for (Py_ssize_t i = 0; i < t->count; i++) {
        size_t slot = (size_t)entries[i].hash & (capacity - 1);
        while (slots[slot]) slot = (slot + 1) & (capacity - 1);
        slots[slot] = i + 1;
    }
    if (t->on_heap) {
        PyMem_Free(t->entries);
        PyMem_Free(t->slots);
    }
    t->entries = entries;
    t->slots = slots;
    t->mask = capacity - 1;
    t->on_heap = 1;
    return 0;
}

/* The slot holding the word w[0:len] (hash h), or the empty slot where it would go. */
static size_t find_slot(const Table *t, const unsigned char *w, Py_ssize_t len, uint64_t h) {
    size_t slot = (size_t)h & t->mask;
    while (t->slots[slot]) {
        const Entry *e = &t->entries[t->slots[slot] - 1];
        if (e->hash == h && e->len == len && same_bytes(t->text + e->off, w, len)) break;
        slot = (slot + 1) & t->mask;
    }
    return slot;
}

/* The number (index into entries) of the word w[0:len], or -1 if the text lacks it. */
static Py_ssize_t word_number(const Table *t, const unsigned char *w, Py_ssize_t len) {
    size_t slot = find_slot(t, w, len, word_hash(w, len));
    return (Py_ssize_t)t->slots[slot] - 1;
}

/* The roles of a word first seen: its flags, whether the goal names it, its step phrases. */
static int classify(Table *t, Entry *e) {
    PyObject *word = PyUnicode_New(e->len, 127);
    if (word == NULL) return -1;
    memcpy(PyUnicode_1BYTE_DATA(word), t->text + e->off, e->len);
    int status = -1;
    PyObject *flags = PyDict_GetItemWithError(t->flags, word);
    if (flags == NULL && PyErr_Occurred()) goto done;
    if (flags != NULL && (e->flags = PyLong_AsLong(flags)) == -1 && PyErr_Occurred()) goto done;
    if (t->has_goal && (e->in_goal = PySet_Contains(t->goal_words, word)) < 0) goto done;
    if (e->flags & F_STEP_FIRST) {
        e->group = PyDict_GetItemWithError(t->step_firsts, word);
        if (e->group == NULL && PyErr_Occurred()) goto done;
        if (e->group != NULL && !PyTuple_Check(e->group)) {
            PyErr_SetString(PyExc_TypeError, "step_firsts values must be tuples of str");
            goto done;
        }
    }
    status = 0;
done:
    Py_DECREF(word);
    return status;
}

/* The number of the word text[off:off+len] (hash h: word_hash of it), classified on
 * first sight; -1 on error. */
static Py_ssize_t intern_word(Table *t, Py_ssize_t off, Py_ssize_t len, uint64_t h) {
    const unsigned char *w = t->text + off;
    size_t slot = find_slot(t, w, len, h);
    if (t->slots[slot]) return (Py_ssize_t)t->slots[slot] - 1;
    if ((size_t)t->count >= (t->mask + 1) / 2) {
        if (grow(t) < 0) return -1;
        slot = find_slot(t, w, len, h);
    }
    Entry *e = &t->entries[t->count];
    *e = (Entry){off, len, h, 0, 0, NULL};
    if (classify(t, e) < 0) return -1;
    t->slots[slot] = ++t->count;
    return t->count - 1;
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
    Py_ssize_t *words;  /* the text as word numbers */
    Py_ssize_t word_count;
    char *head;         /* scratch for head_starts */
    Py_ssize_t head_words;
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
        uint64_t h = 0;
        while (i < e && is_word(p[i])) h = hash_step(h, p[i++]);
        Py_ssize_t number = intern_word(t, start, i - start, hash_end(h, i - start));
        if (number < 0) return -1;
        Entry *entry = &t->entries[number];
        out->words[out->word_count++] = number;
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
    if (first != NULL && (first->flags & F_STEP)) {
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
    if (t->has_goal && !on_topic) out->off_topic++;
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

/* Occurrences of the word sequence want[0:k] in the text (see "occurrences" above); with
 * first_only, 1 at the first. */
static Py_ssize_t occurrences(const Totals *out, const Py_ssize_t *want, Py_ssize_t k,
                              int first_only) {
    Py_ssize_t found = 0, i = 0;
    while (i + k <= out->word_count) {
        Py_ssize_t j = 0;
        while (j < k && out->words[i + j] == want[j]) j++;
        if (j < k) {
            i++;
            continue;
        }
        if (first_only) return 1;
        found++;
        i += k + 1;
    }
    return found;
}

#define PHRASE_WORDS 64  /* on the stack; a longer phrase's words go on the heap */

/* The word numbers of " phrase " p[0:plen] into want (room for plen / 2 + 1); its word
 * count, or -1 when the text lacks one of its words (a non-ASCII one, say): then the
 * phrase cannot occur. */
static Py_ssize_t phrase_words(const Table *t, const char *p, Py_ssize_t plen,
                               Py_ssize_t *want) {
    Py_ssize_t k = 0, i = 0;
    while (i < plen) {
        while (i < plen && p[i] == ' ') i++;
        Py_ssize_t start = i;
        while (i < plen && p[i] != ' ') i++;
        if (i == start) break;
        if ((want[k++] = word_number(t, (const unsigned char *)p + start, i - start)) < 0)
            return -1;
    }
    return k;
}

/* Occurrences of each " phrase " of the tuple, summed (first_only: 1 if any occurs). */
static Py_ssize_t phrases_in(const Table *t, const Totals *out, PyObject *phrases,
                             int first_only) {
    Py_ssize_t total = 0;
    for (Py_ssize_t n = 0; n < PyTuple_GET_SIZE(phrases); n++) {
        PyObject *phrase = PyTuple_GET_ITEM(phrases, n);
        Py_ssize_t plen;
        const char *p = PyUnicode_Check(phrase) ? PyUnicode_AsUTF8AndSize(phrase, &plen) : NULL;
        if (p == NULL) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "phrases must be str");
            return -1;
        }
        Py_ssize_t stack_want[PHRASE_WORDS];
        Py_ssize_t *want = stack_want;
        if (plen / 2 + 1 > PHRASE_WORDS &&
                (want = PyMem_Malloc(sizeof(Py_ssize_t) * (plen / 2 + 1))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        Py_ssize_t k = phrase_words(t, p, plen, want);
        Py_ssize_t found = k > 0 ? occurrences(out, want, k, first_only) : 0;
        if (want != stack_want) PyMem_Free(want);
        if (first_only && found) return 1;
        total += found;
    }
    return total;
}

#define STACK_SLOTS 256  /* a power of two */

static PyObject *tally(PyObject *module, PyObject *args) {
    PyObject *text_obj, *flags, *step_firsts, *goal_words, *conclusion_phrases,
        *justification_phrases, *issue_phrases;
    Py_ssize_t head_words;
    if (!PyArg_ParseTuple(args, "UO!O!OnO!O!O!:tally", &text_obj, &PyDict_Type, &flags,
                          &PyDict_Type, &step_firsts, &goal_words, &head_words,
                          &PyTuple_Type, &conclusion_phrases, &PyTuple_Type,
                          &justification_phrases, &PyTuple_Type, &issue_phrases))
        return NULL;
    if (!PyAnySet_Check(goal_words)) {
        PyErr_SetString(PyExc_TypeError, "goal_words must be a set or frozenset");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(text_obj)) {
        PyErr_SetString(PyExc_ValueError, "tally takes an ASCII text");
        return NULL;
    }
    if (head_words < 1) head_words = 1;
    const unsigned char *original = PyUnicode_1BYTE_DATA(text_obj);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text_obj);
    /* The table starts on the stack (STACK_SLOTS slots, half as many entries). */
    Entry stack_entries[STACK_SLOTS / 2];
    Py_ssize_t stack_slots[STACK_SLOTS] = {0};
    Table t = {NULL, flags, step_firsts, goal_words, PySet_GET_SIZE(goal_words) > 0,
               stack_entries, 0, stack_slots, STACK_SLOTS - 1, 0};
    Totals out = {0, 0, 0, NULL, 0, NULL, head_words};
    PyObject *result = NULL;
    unsigned char *low = PyMem_Malloc(n + 1);
    out.words = PyMem_Malloc(sizeof(Py_ssize_t) * (n / 2 + 1));
    out.head = PyMem_Malloc(n + 3);
    if (!low || !out.words || !out.head) {
        PyErr_NoMemory();
        goto done;
    }
    t.text = low;
    /* One pass: lower-case each character, and read each line once it is complete (a line
     * is only ever read up to its end). */
    Py_ssize_t line = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = original[i];
        low[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        if (is_line_break(c)) {
            if (scan_line(&t, &out, line, i) < 0) goto done;
            line = i + 1;
        }
    }
    if (scan_line(&t, &out, line, n) < 0) goto done;

    int concluded = 0, justified = 0;
    Py_ssize_t issues = 0, goal_hits = 0, phase_hits = 0;
    for (Py_ssize_t i = 0; i < t.count; i++) {
        const Entry *e = &t.entries[i];
        goal_hits += e->in_goal;
        phase_hits += (e->flags & F_PHASE) != 0;
        concluded |= (e->flags & F_CONCLUSION) != 0;
        justified |= (e->flags & F_JUSTIFICATION) != 0;
        if (e->flags & F_ISSUE) issues += occurrences(&out, &i, 1, 0);
    }
    Py_ssize_t found;
    if (!concluded) {
        if ((found = phrases_in(&t, &out, conclusion_phrases, 1)) < 0) goto done;
        concluded = found > 0;
    }
    if (!justified) {
        if ((found = phrases_in(&t, &out, justification_phrases, 1)) < 0) goto done;
        justified = found > 0;
    }
    if ((found = phrases_in(&t, &out, issue_phrases, 0)) < 0) goto done;
    issues += found;
    result = Py_BuildValue("nnnOOnnn", out.steps, out.step_chars, out.off_topic,
                           concluded ? Py_True : Py_False, justified ? Py_True : Py_False,
                           issues, goal_hits, phase_hits);

done:
    if (t.on_heap) {
        PyMem_Free(t.entries);
        PyMem_Free(t.slots);
    }
    PyMem_Free(low);
    PyMem_Free(out.words);
    PyMem_Free(out.head);
    return result;
}

static PyMethodDef methods[] = {
    {"tally", tally, METH_VARARGS,
     "tally(text, flags, step_firsts, goal_words, head_words, conclusion_phrases, "
     "justification_phrases, issue_phrases) -> (steps, step_chars, off_topic, concluded, "
     "justified, issues, goal_hits, phase_hits) for an ASCII text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tokens",
    "The deliberation scorer's counting over ASCII texts, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__tokens(void) {
    init_classes();
    return PyModule_Create(&module);
}
